// Scenario: one app signs in (and out) with the credentials it has. Input (stdin): { "session": session }.
// Output (stdout): { "ok": true, "jid": "…", "mechanism": "…" } or { "ok": false, "error": "…" } (e.g. not-authorized).
import { readInput, signIn, within } from "./lib/session.mjs";

const input = await readInput();
try {
  const app = await within(20000, "sign-in", signIn(input.session));
  await app.xmpp.stop();
  console.log(JSON.stringify({ ok: true, jid: app.jid, mechanism: app.mechanism }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: e.condition ?? e.message }));
}
process.exit(0);
