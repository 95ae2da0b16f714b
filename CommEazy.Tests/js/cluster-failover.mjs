// Scenario: a node dies (killed) or drains while its users chat. Alice lives on a surviving node; bob's home is the
// node that goes. Both connect through the Edge as the app does (bob's URL carries his user key, so his reconnects
// land on his new home). Alice keeps writing to bob, one message every 250 ms, and every message must end as
// delivered or bounced back to her: none may vanish.
// Input (stdin): { alice, bob: sessions; command: [program, ...args] that takes bob's node away; expectUnavailable }.
// Output (stdout): timings in ms from the command, and the fate of every message.
import { execFileSync } from "node:child_process";
import { readInput, signIn, nextStanza, within, xml } from "./lib/session.mjs";
import { bare, availableFrom, unavailableFrom, becomeContacts, chatFrom, followSeeOtherUri } from "./lib/cluster.mjs";

const input = await readInput();
const facts = { messages: { delivered: 0, bounced: 0, lost: 0, afterBack: { delivered: 0, bounced: 0, lost: 0 } } };

const alice = await within(20000, "alice to sign in", signIn(input.alice));
const bob = await within(20000, "bob to sign in", signIn(input.bob, { beforeStart: (xmpp) => followSeeOtherUri(xmpp) }));
await becomeContacts(alice, bob);

// Bob's connection states go to stderr: a failing run shows how his reconnects went.
const since = () => Math.round(performance.now() - (globalThis.t0 ?? performance.now()));
bob.xmpp.on("status", (status) => console.error(`[bob +${since()} ms] ${status}`));
bob.xmpp.on("error", (e) => console.error(`[bob +${since()} ms] error ${e.message}`));
const sawUnavailable = nextStanza(alice.xmpp, unavailableFrom(bob));
let bobBackAt = null;
bob.xmpp.on("online", () => { bobBackAt ??= performance.now(); });
const t0 = performance.now();
globalThis.t0 = t0;
execFileSync(input.command[0], input.command.slice(1), { stdio: "ignore" });
sawUnavailable.then(() => { facts.unavailableAfterMs = Math.round(performance.now() - t0); });

// Every message: delivered to bob, bounced to alice, or lost (neither within 20 s).
const fates = [];
let n = 0;
let firstDeliveredAt = null;
const send = () => {
  const id = `m${n++}`;
  const body = `while moving ${id}`;
  const sentAt = performance.now();
  const delivered = nextStanza(bob.xmpp, chatFrom(alice, body)).then(() => "delivered");
  const bounced = nextStanza(alice.xmpp, (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === id).then(() => "bounced");
  alice.xmpp.send(xml("message", { to: bare(bob.jid), type: "chat", id }, xml("body", {}, body))).catch(() => {});
  const fate = within(20000, id, Promise.race([delivered, bounced])).catch(() => "lost").then((f) => {
    if (f === "delivered" && firstDeliveredAt === null) firstDeliveredAt = performance.now();
    return { id, fate: f, afterBack: bobBackAt !== null && sentAt > bobBackAt + 1000 };
  });
  fates.push(fate);
};
// Until bob is back and a message got through, then 10 more.
const deadline = performance.now() + 60000;
while ((firstDeliveredAt === null || bobBackAt === null) && performance.now() < deadline) {
  send();
  await new Promise((r) => setTimeout(r, 250));
}
for (let i = 0; i < 10; i++) { send(); await new Promise((r) => setTimeout(r, 250)); }
for (const { fate, afterBack } of await Promise.all(fates)) {
  facts.messages[fate]++;
  if (afterBack) facts.messages.afterBack[fate]++;
}
facts.firstDeliveredAfterMs = firstDeliveredAt === null ? null : Math.round(firstDeliveredAt - t0);
facts.bobBackAfterMs = bobBackAt === null ? null : Math.round(bobBackAt - t0);
if (input.expectUnavailable) await within(30000, "bob's unavailable presence", sawUnavailable).catch(() => {});
facts.sawUnavailable = facts.unavailableAfterMs !== undefined;
facts.bobJid = bob.xmpp.jid?.toString() ?? null;

// Alice sees bob available again, and they chat both ways.
const seesBob = within(15000, "bob available again", nextStanza(alice.xmpp, availableFrom(bob))).then(() => true, () => false);
await bob.xmpp.send(xml("presence")).catch(() => {});
facts.sawBobBack = await seesBob;
const reply = nextStanza(alice.xmpp, chatFrom(bob, "back and chatting"));
await bob.xmpp.send(xml("message", { to: bare(alice.jid), type: "chat" }, xml("body", {}, "back and chatting")));
facts.reply = (await within(10000, "bob's reply", reply)).getChildText("body");

// Bob is left connected: when this process exits his session hibernates (XEP-0198) for a while, so the test can
// still read from the cluster's records where he is.
await alice.xmpp.stop().catch(() => {});
console.log(JSON.stringify(facts));
process.exit(0);
