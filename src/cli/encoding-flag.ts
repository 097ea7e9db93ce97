/** `--encoding NAME`, one flag for every command that reads text files (scan, import devices, detect, publish). */
import { InvalidArgumentError, Option } from "commander";
import { encodingNamed, ENCODINGS } from "../formats/text-decode.ts";

export function encodingOption(what: string): Option {
  return new Option("--encoding <name>", `text encoding of ${what}: ${ENCODINGS.join(", ")} (utf8, cp1252 … too; default: UTF-8, UTF-16 by its byte order mark, Windows-1252 from the first byte that is not UTF-8, with a warning)`).argParser((v) => {
    const e = encodingNamed(v);
    if (e === undefined) throw new InvalidArgumentError(`"${v}" is not an encoding Longwatch reads (${ENCODINGS.join(", ")})`);
    return e;
  });
}
