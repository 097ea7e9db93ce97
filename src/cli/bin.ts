/** Process entry: run the CLI with the real streams and exit with its code. */
import { main } from "./main.ts";
import { guardStdio } from "./output.ts";

guardStdio();
process.exitCode = await main(process.argv.slice(2));
