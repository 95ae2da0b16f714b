// Scenario: two users whose homes are different nodes use everything a chat app uses, across the cluster; a third
// user on the first one's node gives the same-node baseline for latency.
// Input (stdin): { alice, bob, carol: session (websocketUrl = the node to connect to), rounds }.
// Output (stdout): one JSON object of facts; the C# test asserts on them.
import { readInput, signIn, nextStanza, within, xml } from "./lib/session.mjs";
import {
  bare, availableFrom, unavailableFrom, becomeContacts, chat, echo, roundTrips, errorCondition, errorFor,
  NS_PING, NS_NICK, NS_PUBSUB,
} from "./lib/cluster.mjs";

const input = await readInput();
const facts = {};
const nick = (name) => xml("pubsub", NS_PUBSUB, xml("publish", { node: NS_NICK }, xml("item", { id: "current" }, xml("nick", NS_NICK, name))));
// A client that wants nickname notifications says so in its entity capabilities (XEP-0115), answered on disco.
const capsPresence = (status) => xml("presence", {}, xml("status", {}, status),
  xml("c", { xmlns: "http://jabber.org/protocol/caps", hash: "sha-1", node: "urn:commeazy:test", ver: "nick-notify-" + Date.now() }));
const wantNicks = (client) => client.xmpp.iqCallee.get("http://jabber.org/protocol/disco#info", "query", () =>
  xml("query", { xmlns: "http://jabber.org/protocol/disco#info" },
    xml("identity", { category: "client", type: "phone", name: "test" }),
    xml("feature", { var: "http://jabber.org/protocol/disco#info" }), xml("feature", { var: NS_NICK + "+notify" })));
const pepEvent = (from) => (s) => s.is("message") && bare(s.attrs.from ?? "") === bare(from.jid) && s.getChild("event", NS_PUBSUB + "#event");
const nickIn = (el) => el?.getChild("items")?.getChild("item")?.getChildText("nick", NS_NICK) ?? null;

const alice = await within(20000, "alice to sign in", signIn(input.alice));
const bob = await within(20000, "bob to sign in", signIn(input.bob));
for (const c of [alice, bob]) c.xmpp.iqCallee.get(NS_PING, "ping", () => ({}));
wantNicks(bob);

// Presence subscription and approval, both ways, across nodes.
await becomeContacts(alice, bob);
facts.subscribed = true;

// Messages both ways, to the bare and to the full JID.
facts.bareMessage = (await chat(alice, bob, "to your bare JID")).getChildText("body");
facts.fullMessage = (await chat(bob, alice, "to your full JID", { full: true })).getChildText("body");

// An IQ to a full JID on the other node is answered (both ways).
const pingResult = async (from, to) => {
  const id = "ping-" + Math.random().toString(36).slice(2);
  const answered = nextStanza(from.xmpp, (s) => s.is("iq") && s.attrs.id === id);
  await from.xmpp.send(xml("iq", { type: "get", to: to.jid, id }, xml("ping", NS_PING)));
  const reply = await within(5000, "the ping result", answered);
  return { type: reply.attrs.type, from: reply.attrs.from };
};
facts.pingAliceToBob = await pingResult(alice, bob);
facts.pingBobToAlice = await pingResult(bob, alice);

// PEP: bob (who asked for nicknames in his caps) is notified of alice's nickname and can query it.
await bob.xmpp.send(capsPresence("here"));
await new Promise((r) => setTimeout(r, 1000)); // alice's home asks bob's client for its caps (disco#info)
let notified = nextStanza(bob.xmpp, pepEvent(alice));
await alice.xmpp.iqCaller.set(nick("Alice"));
facts.nickNotified = nickIn((await within(5000, "the nickname notification", notified)).getChild("event", NS_PUBSUB + "#event"));
const queried = await within(5000, "the nickname query", bob.xmpp.iqCaller.get(xml("pubsub", NS_PUBSUB, xml("items", { node: NS_NICK })), bare(alice.jid)));
facts.nickQueried = nickIn(queried);

// Each sees the other go and come back; the returning user's login probe is answered with real presence.
await alice.xmpp.send(xml("presence", {}, xml("status", {}, "alice-status")));
await new Promise((r) => setTimeout(r, 500));
const bobGone = nextStanza(alice.xmpp, unavailableFrom(bob));
await bob.xmpp.stop();
await within(10000, "bob's unavailable presence", bobGone);
facts.sawBobLeave = true;

// The publisher logs in after the subscriber: alice leaves, bob comes back first, then alice returns and publishes.
await alice.xmpp.stop();
const bob2 = await within(20000, "bob to sign in again", signIn(input.bob, { resource: "app2" }));
bob2.xmpp.iqCallee.get(NS_PING, "ping", () => ({}));
wantNicks(bob2);
await bob2.xmpp.send(capsPresence("back"));
const probeAnswered = nextStanza(bob2.xmpp, availableFrom(input.alice.jid));
const alice2 = await within(20000, "alice to sign in again", signIn(input.alice, { resource: "app2" }));
await alice2.xmpp.send(xml("presence", {}, xml("status", {}, "alice-status-2")));
const aliceBack = await within(10000, "alice's presence after she logged in", probeAnswered);
facts.sawAliceReturn = aliceBack.getChildText("status") ?? "available";
// Bob's login probe: alice is online, so bob's home asks alice's home, which answers with alice's presence.
const bob3 = await within(20000, "bob's second device to sign in", signIn(input.bob, { resource: "app3" }));
const probed = await within(10000, "alice's presence in answer to bob's probe",
  nextStanza(bob3.xmpp, (s) => availableFrom(alice2)(s) && s.getChildText("status") === "alice-status-2"));
facts.probeAnswered = probed.getChildText("status");
await bob3.xmpp.stop();
await new Promise((r) => setTimeout(r, 1500)); // alice's home learns bob2's caps from his presence
notified = nextStanza(bob2.xmpp, pepEvent(alice2));
await alice2.xmpp.iqCaller.set(nick("Alice again"));
facts.nickNotifiedAfterLogin = nickIn((await within(5000, "the nickname notification after login", notified)).getChild("event", NS_PUBSUB + "#event"));

// 200 messages in a row arrive complete and in order.
const got = [];
const allArrived = new Promise((resolve) => {
  bob2.xmpp.on("stanza", (s) => {
    const body = s.is("message") ? s.getChildText("body") : null;
    if (body?.startsWith("seq ")) { got.push(+body.slice(4)); if (got.length === 200) resolve(); }
  });
});
for (let i = 0; i < 200; i++) alice2.xmpp.send(xml("message", { to: bare(bob2.jid), type: "chat" }, xml("body", {}, "seq " + i)));
await within(30000, "200 messages", allArrived);
facts.ordered = { count: got.length, inOrder: got.every((v, i) => v === i) };

// Round-trip latency: to bob (other node) against carol (same node as alice).
const carol = await within(20000, "carol to sign in", signIn(input.carol));
echo(bob2, "rt ");
echo(carol, "rt ");
facts.sameNode = await roundTrips(alice2, carol, "rt same ", input.rounds);
facts.crossNode = await roundTrips(alice2, bob2, "rt cross ", input.rounds);

// A user of the domain that does not exist: the stanza still gets the correct error, from its home.
const nobody = input.nobody;
const bounced = nextStanza(alice2.xmpp, errorFor("to-nobody"));
await alice2.xmpp.send(xml("message", { to: nobody, type: "chat", id: "to-nobody" }, xml("body", {}, "anyone?")));
facts.nobodyMessage = errorCondition(await within(5000, "the error for a user that does not exist", bounced));
const iqBounced = nextStanza(alice2.xmpp, errorFor("iq-nobody"));
await alice2.xmpp.send(xml("iq", { type: "get", to: nobody + "/x", id: "iq-nobody" }, xml("ping", NS_PING)));
facts.nobodyIq = errorCondition(await within(5000, "the IQ error for a user that does not exist", iqBounced));

// A client cannot inject cluster traffic: a forged forward to any cluster host never reaches bob.
let forgedArrived = false;
bob2.xmpp.on("stanza", (s) => { if (s.is("message") && s.getChildText("body")?.startsWith("forged")) forgedArrived = true; });
for (const host of input.clusterHosts) {
  await alice2.xmpp.send(xml("message", { to: host, id: "forge-" + host },
    xml("fwd", { xmlns: "urn:commeazy:cluster:0", ts: "0" },
      xml("message", { xmlns: "jabber:client", to: bare(bob2.jid), from: "eve@" + bare(bob2.jid).split("@")[1], type: "chat" },
        xml("body", {}, "forged via " + host)))));
}
await chat(alice2, bob2, "after the forgeries"); // ordered after them on the same stream and link
await new Promise((r) => setTimeout(r, 500));
facts.forgedArrived = forgedArrived;

await Promise.all([alice2, bob2, carol].map((c) => c.xmpp.stop().catch(() => {})));
console.log(JSON.stringify(facts));
