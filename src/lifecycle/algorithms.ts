/**
 * Reading algorithm names as device models and certificates give them (`ecdh-p256`, `rsa-2048`, `x25519`,
 * `ml-kem-768`, a certificate's key type and curve) into a family and a security strength in bits, per
 * NIST SP 800-57 Part 1 Rev. 5 Table 2, so the crypto policy can be written once per family and strength.
 */

export const ALGORITHM_FAMILIES = ["rsa", "dh", "dsa", "ecdsa", "ecdh", "eddsa", "ml-kem", "ml-dsa", "slh-dsa", "lms", "xmss", "fn-dsa", "psk", "aes", "chacha20", "tdea"] as const;
export type AlgorithmFamily = (typeof ALGORITHM_FAMILIES)[number];

export interface Algorithm {
  /** As written, e.g. `ecdh-p256`. */
  name: string;
  family: AlgorithmFamily;
  /** Security strength in bits, when the name says enough to know it. */
  strength?: number;
  /** What it is used for, when known: key exchange or signatures. */
  use?: "key_exchange" | "signature";
}

/** RSA and finite-field DH modulus size → strength (SP 800-57 Pt 1 Table 2). */
export function strengthOfModulus(bits: number): number {
  if (bits >= 15360) return 256;
  if (bits >= 7680) return 192;
  if (bits >= 3072) return 128;
  if (bits >= 2048) return 112;
  if (bits >= 1024) return 80;
  return Math.max(0, Math.floor(bits / 16));
}

/** Elliptic-curve field size → strength (SP 800-57 Pt 1 Table 2: f = 224–255 → 112, 256–383 → 128 …). */
export function strengthOfCurveBits(bits: number): number {
  if (bits >= 512) return 256;
  if (bits >= 384) return 192;
  if (bits >= 256) return 128;
  if (bits >= 224) return 112;
  if (bits >= 160) return 80;
  return Math.floor(bits / 2);
}

/** Named curves → field size in bits. */
const CURVES: Record<string, number> = {
  p192: 192, prime192v1: 192, secp192r1: 192,
  p224: 224, secp224r1: 224,
  p256: 256, prime256v1: 256, secp256r1: 256, secp256k1: 256, brainpoolp256r1: 256,
  p384: 384, secp384r1: 384, brainpoolp384r1: 384,
  p521: 521, secp521r1: 521, brainpoolp512r1: 512,
  x25519: 255, curve25519: 255, ed25519: 255,
  x448: 448, curve448: 448, ed448: 448,
};

/** Curves whose nominal strength NIST states directly (25519 is 128-bit although its field is 255 bits). */
const CURVE_STRENGTH: Record<string, number> = { x25519: 128, curve25519: 128, ed25519: 128, x448: 224, curve448: 224, ed448: 224 };

export function curveStrength(curve: string): number | undefined {
  const c = curve.toLowerCase().replace(/[-_\s]/g, "");
  if (CURVE_STRENGTH[c] !== undefined) return CURVE_STRENGTH[c];
  const bits = CURVES[c];
  return bits === undefined ? undefined : strengthOfCurveBits(bits);
}

const PQC_STRENGTH: Record<string, number> = {
  "ml-kem-512": 128, "ml-kem-768": 192, "ml-kem-1024": 256,
  "ml-dsa-44": 128, "ml-dsa-65": 192, "ml-dsa-87": 256,
};

/** Parses an algorithm name; undefined when it is not one Longwatch knows (the caller reports it as unevaluated). */
export function parseAlgorithm(name: string, use?: Algorithm["use"]): Algorithm | undefined {
  const n = name.trim().toLowerCase().replace(/_/g, "-");
  const out = (family: AlgorithmFamily, strength?: number): Algorithm => {
    const a: Algorithm = { name, family };
    if (strength !== undefined) a.strength = strength;
    if (use !== undefined) a.use = use;
    return a;
  };
  let m = /^rsa(?:-?pss|-?oaep)?-?(\d{3,5})$/.exec(n);
  if (m) return out("rsa", strengthOfModulus(Number(m[1])));
  if (n === "rsa") return out("rsa");
  m = /^(?:ff)?dhe?-?(\d{3,5})$/.exec(n) ?? /^ffdhe(\d{4})$/.exec(n);
  if (m) return out("dh", strengthOfModulus(Number(m[1])));
  m = /^dsa-?(\d{3,5})$/.exec(n);
  if (m) return out("dsa", strengthOfModulus(Number(m[1])));
  if (n === "dsa") return out("dsa");
  m = /^(ecdhe?|ecdsa|ecmqv)-?(.+)$/.exec(n);
  if (m) {
    const curve = m[2]!.replace(/^(nist)?-?/, "").replace(/^p-?(\d+)$/, "p$1");
    const family: AlgorithmFamily = m[1]!.startsWith("ecdsa") ? "ecdsa" : "ecdh";
    return out(family, curveStrength(curve));
  }
  if (n === "ecdh" || n === "ecdhe") return out("ecdh");
  if (n === "ecdsa") return out("ecdsa");
  if (n === "x25519" || n === "x448") return out("ecdh", curveStrength(n));
  if (n === "ed25519" || n === "ed448" || n === "eddsa") return out("eddsa", n === "eddsa" ? undefined : curveStrength(n));
  m = /^(ml-kem|kyber)-?(\d+)$/.exec(n);
  if (m) return out("ml-kem", PQC_STRENGTH[`ml-kem-${m[2]}`]);
  m = /^(ml-dsa|dilithium)-?(\d+)$/.exec(n);
  if (m) return out("ml-dsa", PQC_STRENGTH[`ml-dsa-${m[2]}`] ?? { "2": 128, "3": 192, "5": 256 }[m[2]!]);
  if (/^(slh-dsa|sphincs\+?)/.test(n)) return out("slh-dsa", /-(128|192|256)/.exec(n) ? Number(/-(128|192|256)/.exec(n)![1]) : undefined);
  if (/^(fn-dsa|falcon)/.test(n)) return out("fn-dsa");
  if (/^(lms|hss)/.test(n)) return out("lms");
  if (/^xmss/.test(n)) return out("xmss");
  if (/^psk/.test(n)) return out("psk");
  m = /^aes-?(128|192|256)/.exec(n);
  if (m) return out("aes", Number(m[1]));
  if (/^chacha20/.test(n)) return out("chacha20", 256);
  if (/^(3des|tdea|des-ede3|triple-des)/.test(n)) return out("tdea", 112);
  return undefined;
}

/** Families that a cryptographically relevant quantum computer breaks (Shor's algorithm). */
export function isQuantumVulnerable(f: AlgorithmFamily): boolean {
  return f === "rsa" || f === "dh" || f === "dsa" || f === "ecdsa" || f === "ecdh" || f === "eddsa";
}
