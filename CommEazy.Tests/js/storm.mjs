// Scenario: many apps are connected through the Edge when a node dies; its users all reconnect at once (a login
// storm). Each must come back on its new home and chat; none may be refused for good.
// Input (stdin): { users: [session], buddy: session, command: [program, ...args], parallel }.
// Output (stdout): { connected, affected, back, delivered, recoveryMs: [sorted], neverBack, startRefusals }.
import { execFileSync } from "node:child_process";
import { readInput, signIn, nextStanza, within, xml } from "./lib/session.mjs";

const input = await readInput();
const facts = { startRefusals: 0 };

/** Signs in like the app: a first connection the Edge refuses (503 while admission queues are full) is retried. */
async function signInPatiently(session) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await signIn(session);
    } catch (e) {
      facts.startRefusals++;
      if (attempt === 30) throw e;
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
    }
  }
}

// Everyone signs in, a few at a time (as apps wake up).
const clients = [];
for (let i = 0; i < input.users.length; i += input.parallel) {
  const batch = input.users.slice(i, i + input.parallel);
  clients.push(...await Promise.all(batch.map((s) => within(120000, "a user to sign in", signInPatiently(s)))));
}
const buddy = await within(60000, "the buddy to sign in", signInPatiently(input.buddy));
facts.connected = clients.length;

// Who loses their connection when the node dies: every client whose session drops after the command.
const t0 = { at: 0 };
const lost = new Set();
const backAt = new Map();
for (const [i, c] of clients.entries()) {
  c.xmpp.on("disconnect", () => { if (t0.at) lost.add(i); });
  c.xmpp.on("online", () => { if (t0.at && lost.has(i) && !backAt.has(i)) backAt.set(i, performance.now()); });
}
const got = new Set();
buddy.xmpp.on("stanza", (s) => { const b = s.is("message") ? s.getChildText("body") : null; if (b?.startsWith("back ")) got.add(+b.slice(5)); });

t0.at = performance.now();
execFileSync(input.command[0], input.command.slice(1), { stdio: "ignore" });
// Wait until every client that lost its connection is back (or 120 s), then each says so to the buddy.
const deadline = t0.at + 120000;
await new Promise((r) => setTimeout(r, 3000)); // the losses show within a second or two
while (performance.now() < deadline && [...lost].some((i) => !backAt.has(i))) {
  await new Promise((r) => setTimeout(r, 250));
}
await new Promise((r) => setTimeout(r, 1500)); // presence and stream management settle on the new sessions
for (const i of lost) {
  if (backAt.has(i)) await clients[i].xmpp.send(xml("message", { to: input.buddy.jid, type: "chat" }, xml("body", {}, `back ${i}`))).catch(() => {});
}
const all = new Promise((resolve) => { const t = setInterval(() => { if ([...lost].every((i) => got.has(i) || !backAt.has(i))) { clearInterval(t); resolve(); } }, 100); });
await within(20000, "the buddy to hear from everyone back", all).catch(() => {});

facts.affected = lost.size;
facts.back = backAt.size;
facts.neverBack = [...lost].filter((i) => !backAt.has(i)).length;
facts.delivered = [...lost].filter((i) => got.has(i)).length;
facts.recoveryMs = [...backAt.values()].map((t) => Math.round(t - t0.at)).sort((a, b) => a - b);
facts.backs = [...backAt.entries()].map(([i, t]) => ({ jid: clients[i].jid.split("/")[0], ms: Math.round(t - t0.at) }));
console.log(JSON.stringify(facts));
process.exit(0);
