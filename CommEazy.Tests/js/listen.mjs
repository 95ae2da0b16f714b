// Scenario: a user signs in and listens: every message body that reaches them within `seconds` is reported.
// Input (stdin): { session, seconds }. Output (stdout): { bodies: [...] }.
import { readInput, signIn, within } from "./lib/session.mjs";

const input = await readInput();
const user = await within(20000, "the listener to sign in", signIn(input.session));
const bodies = [];
user.xmpp.on("stanza", (s) => { if (s.is("message") && s.getChildText("body") !== null) bodies.push(s.getChildText("body")); });
await new Promise((r) => setTimeout(r, input.seconds * 1000));
await user.xmpp.stop().catch(() => {});
console.log(JSON.stringify({ bodies }));
