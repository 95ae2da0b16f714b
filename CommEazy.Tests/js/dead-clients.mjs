// Scenario: two of alice's contacts lose their phones while alice watches. Bob's connection goes silent: a TCP relay
// between his app and the Edge stops forwarding and keeps its sockets open (out of coverage: no FIN, no RST, the
// kernel still ACKs). Carol's app is killed (its process dies, the kernel sends FIN). Alice must see both go offline.
// Input (stdin): { alice, bob, carol: sessions through the Edge }. Output (stdout): { silentMs, killedMs } from the loss
// to alice's unavailable presence, or null when it never came within 120 s.
import net from "node:net";
import { spawn } from "node:child_process";
import { readInput, signIn, nextStanza, within, xml } from "./lib/session.mjs";
import { becomeContacts, unavailableFrom } from "./lib/cluster.mjs";

const input = await readInput();

/** A relay to the Edge that can go silent: after freeze() it forwards nothing and closes nothing. */
async function silentRelay(host, port) {
  let frozen = false;
  const server = net.createServer((app) => {
    const edge = net.connect(port, host);
    app.on("data", (d) => { if (!frozen) edge.write(d); });
    edge.on("data", (d) => { if (!frozen) app.write(d); });
    for (const [a, b] of [[app, edge], [edge, app]]) {
      a.on("error", () => {});
      a.on("close", () => { if (!frozen) b.destroy(); });
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: server.address().port, freeze: () => { frozen = true; } };
}

const edge = new URL(input.bob.websocketUrl);
const relay = await silentRelay(edge.hostname, Number(edge.port));
const viaRelay = new URL(input.bob.websocketUrl);
viaRelay.host = `127.0.0.1:${relay.port}`;

const alice = await within(20000, "alice to sign in", signIn(input.alice));
const bob = await within(20000, "bob to sign in", signIn({ ...input.bob, websocketUrl: viaRelay.toString() }));
bob.xmpp.reconnect.stop(); // his phone is gone: nothing reconnects
await becomeContacts(alice, bob);

// Carol's app runs in its own process, so that it can be killed like an app the OS stops.
const carolApp = spawn(process.execPath, ["--experimental-websocket", "--no-warnings", "-e", `
  import("./lib/session.mjs").then(async ({ signIn, xml }) => {
    const s = JSON.parse(process.argv[1]);
    const c = await signIn(s);
    c.xmpp.on("stanza", async (st) => {
      if (st.is("presence") && st.attrs.type === "subscribe") await c.xmpp.send(xml("presence", { to: st.attrs.from, type: "subscribed" }));
    });
    await c.xmpp.send(xml("presence", { to: s.contact, type: "subscribe" }));
    console.log("ready");
  });`, JSON.stringify({ ...input.carol, contact: alice.jid.split("/")[0] })], { stdio: ["ignore", "pipe", "inherit"] });
alice.xmpp.on("stanza", async (s) => {
  if (s.is("presence") && s.attrs.type === "subscribe") await alice.xmpp.send(xml("presence", { to: s.attrs.from, type: "subscribed" }));
});
const carolSeen = nextStanza(alice.xmpp, (s) => s.is("presence") && !s.attrs.type && (s.attrs.from ?? "").startsWith(input.carol.jid));
await within(20000, "carol's app to start", new Promise((resolve) => carolApp.stdout.on("data", (d) => { if (String(d).includes("ready")) resolve(); })));
await alice.xmpp.send(xml("presence", { to: input.carol.jid, type: "subscribe" }));
await within(15000, "carol available to alice", carolSeen);

const bobGone = nextStanza(alice.xmpp, unavailableFrom(bob));
const carolGone = nextStanza(alice.xmpp, unavailableFrom(input.carol.jid));
const t0 = performance.now();
relay.freeze();
carolApp.kill("SIGKILL");
const since = (p) => within(120000, "unavailable", p).then(() => Math.round(performance.now() - t0), () => null);
const [silentMs, killedMs] = await Promise.all([since(bobGone), since(carolGone)]);

await alice.xmpp.stop().catch(() => {});
console.log(JSON.stringify({ silentMs, killedMs }));
process.exit(0);
