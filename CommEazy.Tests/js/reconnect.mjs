// Scenario: two users who are subscribed to each other are both online; one of them reconnects (a new session, as
// after an app restart) while the other stays, so the new session gets the other's presence in its initial burst.
// A message sent right after the reconnect must arrive, and neither client may get a stream error or be reconnected.
// Input (stdin): { "alice": session, "bob": session, "body": "…", "cycles": n }. Output (stdout): one JSON object.
import { readInput, signIn, nextStanza, within, xml } from "./lib/session.mjs";

const input = await readInput();
const bare = (jid) => jid.split("/")[0];
const isAvailableFrom = (jid) => (s) => s.is("presence") && !s.attrs.type && bare(s.attrs.from ?? "") === bare(jid);
const isUnavailableFrom = (jid) => (s) => s.is("presence") && s.attrs.type === "unavailable" && bare(s.attrs.from ?? "") === bare(jid);
const isChat = (body) => (s) => s.is("message") && s.getChildText("body") === body;
/** From now on, counts the client's new sessions (xmpp.js reconnecting after a stream error) and the stream errors it got. */
const watch = (who) => {
  const seen = { reconnects: 0, streamErrors: [] };
  who.xmpp.on("online", () => seen.reconnects++);
  who.xmpp.on("nonza", (el) => {
    if (el.name === "stream:error") seen.streamErrors.push(el.getChildText("text") ?? el.children[0]?.name ?? "stream error");
  });
  return seen;
};
/**
 * Two pings in a row, answered by the server on the same stream: the server asks for an ack with its answer to the
 * first, so by its answer to the second it has judged every ack the client sent (a wrong one closes the stream).
 */
const settle = async (who) => {
  const ping = () => who.xmpp.iqCaller.request(xml("iq", { type: "get", to: bare(who.jid).split("@")[1] }, xml("ping", { xmlns: "urn:xmpp:ping" })), 5000);
  await ping();
  await ping();
};

// Both sign in and subscribe to each other (as the app does when a contact is accepted).
const bob = await within(20000, "bob to sign in", signIn(input.bob, { resource: "bob" }));
const bobSeen = watch(bob);
let alice = await within(20000, "alice to sign in", signIn(input.alice, { resource: "alice" }));
let aliceSeen = watch(alice);
for (const [me, other] of [[alice, bob], [bob, alice]]) {
  me.xmpp.on("stanza", async (s) => {
    if (s.is("presence") && s.attrs.type === "subscribe" && bare(s.attrs.from) === bare(other.jid)) {
      await me.xmpp.send(xml("presence", { to: s.attrs.from, type: "subscribed" }));
    }
  });
}
const bothSee = Promise.all([nextStanza(bob.xmpp, isAvailableFrom(alice.jid)), nextStanza(alice.xmpp, isAvailableFrom(bob.jid))]);
await alice.xmpp.send(xml("presence", { to: bare(bob.jid), type: "subscribe" }));
await bob.xmpp.send(xml("presence", { to: bare(alice.jid), type: "subscribe" }));
await within(15000, "presence both ways", bothSee);

const result = { setup: { ...aliceSeen }, cycles: [] };
for (let cycle = 1; cycle <= input.cycles; cycle++) {
  // Alice's app goes away and comes back with a new session; Bob, online all along, is in her presence burst.
  const bobSeesAliceGo = nextStanza(bob.xmpp, isUnavailableFrom(alice.jid));
  await alice.xmpp.stop();
  await within(10000, "bob to see alice go offline", bobSeesAliceGo);
  const bobSeesAliceBack = nextStanza(bob.xmpp, isAvailableFrom(alice.jid));
  alice = await within(20000, `alice to sign in again (cycle ${cycle})`, signIn(input.alice, { resource: "alice" }));
  aliceSeen = watch(alice);
  // As the app does on every new session, she fetches her contact list at once.
  const roster = await within(10000, "alice's roster", alice.xmpp.iqCaller.get(xml("query", { xmlns: "jabber:iq:roster" })));
  const bobItem = roster.getChildren("item").find((item) => item.attrs.jid === bare(bob.jid));

  // Right after the reconnect, Bob writes to her bare JID and she answers.
  const body = `${input.body}-${cycle}`;
  const aliceGets = nextStanza(alice.xmpp, isChat(body));
  await bob.xmpp.send(xml("message", { to: bare(alice.jid), type: "chat", id: `r${cycle}` }, xml("body", {}, body)));
  const received = await within(10000, `bob's message to reach alice (cycle ${cycle})`, aliceGets).then(() => true, () => false);
  const bobGets = nextStanza(bob.xmpp, isChat("re:" + body));
  await alice.xmpp.send(xml("message", { to: bare(bob.jid), type: "chat", id: `a${cycle}` }, xml("body", {}, "re:" + body)));
  const answered = await within(10000, `alice's answer to reach bob (cycle ${cycle})`, bobGets).then(() => true, () => false);
  const bobSawAliceBack = await within(10000, "bob to see alice back", bobSeesAliceBack).then(() => true, () => false);

  await Promise.all([settle(alice), settle(bob)]).catch(() => {});
  result.cycles.push({ subscription: bobItem?.attrs.subscription ?? null, received, answered, bobSawAliceBack, alice: aliceSeen });
}
result.bob = bobSeen;

await Promise.all([alice.xmpp.stop(), bob.xmpp.stop()]);
console.log(JSON.stringify(result));
