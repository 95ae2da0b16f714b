// Scenario: a user deletes their account (GDPR erasure) while online and while a contact watches.
// Input (stdin): { alice, bob: sessions; eraseUrl; aliceToken }. Output (stdout): facts about what each saw.
import { readInput, signIn, nextStanza, within, xml } from "./lib/session.mjs";
import { bare, becomeContacts } from "./lib/cluster.mjs";
import { client } from "@xmpp/client";

const input = await readInput();
const facts = {};
const alice = await within(20000, "alice to sign in", signIn(input.alice));
const bob = await within(20000, "bob to sign in", signIn(input.bob));
await becomeContacts(alice, bob);
alice.xmpp.reconnect.stop(); // a deleted account cannot come back; don't let the library try

// Over WebSocket Prosody sends <stream:error> without declaring the prefix, so xmpp.js 0.14 does not recognise it
// as a stream error (no "error" event): read the element itself.
const streamError = new Promise((resolve) => alice.xmpp.on("element", (el) => {
  if (el.name === "stream:error" || el.is("error", "http://etherx.jabber.org/streams")) {
    const condition = el.children.find((c) => typeof c === "object" && c.name !== "text")?.name;
    resolve(`${condition}: ${el.getChildText("text")}`);
  }
}));
const fromAlice = (s) => bare(s.attrs.from ?? "") === bare(alice.jid);
const unavailable = nextStanza(bob.xmpp, (s) => s.is("presence") && fromAlice(s) && s.attrs.type === "unavailable");

const response = await fetch(input.eraseUrl, { method: "DELETE", headers: { authorization: `Bearer ${input.aliceToken}` } });
facts.eraseStatus = response.status;
facts.streamError = await within(10000, "alice's session to end", streamError).catch(() => null);
facts.contactSawUnavailable = await within(10000, "bob to see alice go", unavailable).then(() => true, () => false);
// Bob's roster keeps no subscription to the deleted account.
const roster = await bob.xmpp.iqCaller.get(xml("query", "jabber:iq:roster"));
const item = roster.getChildren("item").find((i) => i.attrs.jid === bare(alice.jid));
facts.contactRosterSubscription = item ? item.attrs.subscription : "removed";

// The old credentials no longer sign in.
const [username, domain] = input.alice.jid.split("@");
const again = client({ service: input.alice.websocketUrl, domain, username, password: input.alice.password, resource: "after" });
again.reconnect.stop();
facts.oldCredentials = await within(15000, "a sign-in with the old password", again.start().then(() => "accepted", (e) => e.condition ?? e.message));
await again.stop().catch(() => {});
await bob.xmpp.stop().catch(() => {});
console.log(JSON.stringify(facts));
process.exit(0);
