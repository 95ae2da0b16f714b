// Scenario: a user's client first lands on a node that is not its home; the node sends it home (RFC 7395
// see-other-uri), the client follows, and chats with a contact on another node.
// Input (stdin): { alice: session (at her home), dave: session (websocketUrl = a node that is not his home) }.
// Output (stdout): { seeOtherUri, chat, reply }.
import { readInput, signIn, within } from "./lib/session.mjs";
import { becomeContacts, chat, followSeeOtherUri } from "./lib/cluster.mjs";

const input = await readInput();
const facts = {};

const alice = await within(20000, "alice to sign in", signIn(input.alice));
// What the app should do, since xmpp.js 0.14 ignores see-other-uri: follow it.
const dave = await within(20000, "dave to sign in at his home", signIn(input.dave, {
  beforeStart: (xmpp) => followSeeOtherUri(xmpp, (uri) => { facts.seeOtherUri ??= uri; }),
}));
await becomeContacts(alice, dave);
facts.chat = (await chat(alice, dave, "found you at home")).getChildText("body");
facts.reply = (await chat(dave, alice, "yes, here", { full: true })).getChildText("body");

await Promise.all([alice, dave].map((c) => c.xmpp.stop().catch(() => {})));
console.log(JSON.stringify(facts));
