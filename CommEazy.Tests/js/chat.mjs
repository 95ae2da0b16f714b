// Scenario: two users sign in, subscribe to each other's presence, see each other online, and exchange a message.
// Input (stdin): { "alice": session, "bob": session, "body": "…" }. Output (stdout): one JSON object of facts.
import { readInput, signIn, nextStanza, within, xml } from "./lib/session.mjs";

const input = await readInput();
const bare = (jid) => jid.split("/")[0];
const result = {};

const alice = await within(20000, "alice to sign in", signIn(input.alice));
const bob = await within(20000, "bob to sign in", signIn(input.bob));
result.mechanisms = [alice.mechanism, bob.mechanism];
result.boundJids = [alice.jid, bob.jid];

// Each approves the other's subscription request and asks back (what the app does when a contact is accepted).
for (const [me, other] of [[alice, bob], [bob, alice]]) {
  me.xmpp.on("stanza", async (s) => {
    if (s.is("presence") && s.attrs.type === "subscribe" && bare(s.attrs.from) === bare(other.jid)) {
      await me.xmpp.send(xml("presence", { to: s.attrs.from, type: "subscribed" }));
    }
  });
}
const isAvailableFrom = (who) => (s) => s.is("presence") && !s.attrs.type && s.attrs.from && bare(s.attrs.from) === bare(who.jid);
const bobSeesAlice = nextStanza(bob.xmpp, isAvailableFrom(alice));
const aliceSeesBob = nextStanza(alice.xmpp, isAvailableFrom(bob));
await alice.xmpp.send(xml("presence", { to: bare(bob.jid), type: "subscribe" }));
await bob.xmpp.send(xml("presence", { to: bare(alice.jid), type: "subscribe" }));
await within(15000, "presence both ways", Promise.all([bobSeesAlice, aliceSeesBob]));
result.presenceExchanged = true;

const isChatFrom = (who) => (s) => s.is("message") && s.getChildText("body") !== null && bare(s.attrs.from ?? "") === bare(who.jid);
const bobGets = nextStanza(bob.xmpp, isChatFrom(alice));
await alice.xmpp.send(xml("message", { to: bare(bob.jid), type: "chat", id: "m1" }, xml("body", {}, input.body)));
const received = await within(10000, "the message to reach bob", bobGets);
result.received = { body: received.getChildText("body"), from: bare(received.attrs.from) };

const aliceGets = nextStanza(alice.xmpp, isChatFrom(bob));
await bob.xmpp.send(xml("message", { to: alice.jid, type: "chat", id: "m2" }, xml("body", {}, "reply:" + input.body)));
const reply = await within(10000, "the reply to reach alice", aliceGets);
result.reply = { body: reply.getChildText("body"), from: bare(reply.attrs.from) };

await Promise.all([alice.xmpp.stop(), bob.xmpp.stop()]);
console.log(JSON.stringify(result));
