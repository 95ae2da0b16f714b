// Scenario: several apps sign in through the Edge and stay connected for a while (the test checks meanwhile where
// each landed). Input (stdin): { sessions: [session], seconds }. Output (stdout): { signedIn }.
import { readInput, signIn, within } from "./lib/session.mjs";

const input = await readInput();
const clients = await Promise.all(input.sessions.map((s) => within(60000, "a sign-in", signIn(s))));
await new Promise((r) => setTimeout(r, input.seconds * 1000));
await Promise.all(clients.map((c) => c.xmpp.stop().catch(() => {})));
console.log(JSON.stringify({ signedIn: clients.length }));
process.exit(0);
