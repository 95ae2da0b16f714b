// Scenario: the node's own metrics move with a client: /metrics is read before sign-in, while online, after N messages
// to itself, and after the connection drops without closing the stream (the session hibernates for resumption).
// Input (stdin): { "session": session, "metricsUrl": "http://…/metrics", "messages": N }.
// Output (stdout): { "before": {…}, "online": {…}, "afterMessages": {…}, "dropped": {…} } with the series read each time.
import { readInput, signIn, within, nextStanza, xml } from "./lib/session.mjs";

const input = await readInput();
const series = {
  active: 'prosody_mod_commeazy_node_metrics__c2s_sessions{state="active"}',
  hibernating: 'prosody_mod_commeazy_node_metrics__c2s_sessions{state="hibernating"}',
  messagesIn: 'prosody_mod_commeazy_node_metrics__stanzas_total{direction="in",kind="message",session="c2s"}',
  messagesOut: 'prosody_mod_commeazy_node_metrics__stanzas_total{direction="out",kind="message",session="c2s"}',
  luaMemory: "prosody_mod_commeazy_node_metrics__lua_memory_bytes",
  rss: "prosody_mod_commeazy_node_metrics__resident_memory_bytes",
  cpu: "prosody_mod_commeazy_node_metrics__cpu_seconds_total",
  openFds: "prosody_mod_commeazy_node_metrics__open_fds",
};
async function read() {
  const text = await (await fetch(input.metricsUrl)).text();
  const values = {};
  for (const [key, name] of Object.entries(series)) {
    const line = text.split("\n").find((l) => l.startsWith(name + " "));
    values[key] = line === undefined ? null : Number(line.slice(name.length + 1));
  }
  return values;
}

const result = { before: await read() };
const app = await within(20000, "sign-in", signIn(input.session));
result.online = await read();
// N messages to itself; each comes back to the same session (a message in and a message out per echo).
const echoed = new Set();
app.xmpp.on("stanza", (s) => { if (s.is("message") && s.getChildText("body")?.startsWith("metrics probe")) echoed.add(s.attrs.id); });
for (let i = 0; i < input.messages; i++) {
  await app.xmpp.send(xml("message", { to: app.jid, type: "chat", id: `m${i}` }, xml("body", {}, `metrics probe ${i}`)));
}
for (let waited = 0; echoed.size < input.messages && waited < 10000; waited += 100) await new Promise((r) => setTimeout(r, 100));
result.echoed = echoed.size;
result.afterMessages = await read();
// Drop the socket without </stream>: the server keeps the session for resumption (smacks hibernation).
// (xmpp.js 0.14 sometimes has its session closed over stream-management acks and reconnects: wait until online.)
if (app.xmpp.status !== "online") await within(20000, "reconnection", new Promise((r) => app.xmpp.once("online", r)));
result.online2 = await read();
app.xmpp.reconnect.stop();
app.xmpp.socket.socket.close();
await new Promise((r) => setTimeout(r, 1500));
result.dropped = await read();
console.log(JSON.stringify(result));
process.exit(0);
