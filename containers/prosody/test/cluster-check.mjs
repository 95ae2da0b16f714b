// Checks a running 3-node cluster (cluster-up.sh) with real xmpp.js clients; prints facts and a
// PASS/FAIL line per check. Run: node --experimental-websocket cluster-check.mjs
import { createHmac, createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { signIn, nextStanza, within, xml } from "../../../CommEazy.Tests/js/lib/session.mjs";

const KEY = process.env.ROUTING_KEY ?? "test-routing-key-not-a-secret-0123456789";
const DOMAIN = "commeazy.local";
const NODES = ["prosody-1", "prosody-2", "prosody-3"];
const url = (node) => `ws://127.0.0.1:528${node.slice(-1)}/xmpp-websocket`;
const userKey = (bare) => createHmac("sha256", KEY).update(bare).digest().subarray(0, 16).toString("hex");
const homeOfU = (u, members) => {
  let best = null, bestScore = -1n;
  for (const m of members) {
    const s = createHash("sha256").update(`${m}\n${u}`).digest().readBigUInt64BE(0);
    if (best === null || s > bestScore || (s === bestScore && m > best)) { best = m; bestScore = s; }
  }
  return best;
};
const homeOf = (bare, members = NODES) => homeOfU(userKey(bare), members);
const bare = (j) => j.split("/")[0];
const results = [];
const check = (name, ok, detail = "") => { results.push({ name, ok }); console.log(`${ok ? "PASS" : "FAIL"} ${name} ${detail}`); };
const attempt = async (name, fn) => { try { await fn(); } catch (e) { check(name, false, e.message); } };

// Users: one per home, found by trying names.
const pick = (prefix, node) => { for (let i = 0; ; i++) { const n = `${prefix}${i}`; if (homeOf(`${n}@${DOMAIN}`) === node) return n; } };
const run = Date.now().toString(36);
const users = { a: pick(`a${run}`, "prosody-1"), b: pick(`b${run}`, "prosody-2"), c: pick(`c${run}`, "prosody-3"), d: pick(`d${run}`, "prosody-1") };
for (const n of Object.values(users)) execFileSync("docker", ["exec", "cez-prosody-1", "prosodyctl", "shell", "user", "create", `${n}@${DOMAIN}`, "pw-" + n]);
const session = (n, node) => ({ jid: `${n}@${DOMAIN}`, password: "pw-" + n, websocketUrl: url(node) });

const A = await within(20000, "a", signIn(session(users.a, "prosody-1")));
const B = await within(20000, "b", signIn(session(users.b, "prosody-2")));
const D = await within(20000, "d", signIn(session(users.d, "prosody-1")));
for (const c of [A, B, D]) c.xmpp.iqCallee.get("urn:xmpp:ping", "ping", () => ({}));
console.log("users", users, "a on prosody-1, b on prosody-2 (cross-node)");

// Presence subscription + approval, both ways.
await attempt("presence subscription both ways", async () => {
  for (const [me, other] of [[A, B], [B, A], [A, D], [D, A]]) {
    me.xmpp.on("stanza", async (s) => {
      if (s.is("presence") && s.attrs.type === "subscribe" && bare(s.attrs.from) === bare(other.jid))
        await me.xmpp.send(xml("presence", { to: s.attrs.from, type: "subscribed" }));
    });
  }
  const avail = (who) => (s) => s.is("presence") && !s.attrs.type && bare(s.attrs.from ?? "") === bare(who.jid);
  const seen = Promise.all([nextStanza(B.xmpp, avail(A)), nextStanza(A.xmpp, avail(B)), nextStanza(D.xmpp, avail(A)), nextStanza(A.xmpp, avail(D))]);
  for (const [me, other] of [[A, B], [B, A], [A, D], [D, A]]) await me.xmpp.send(xml("presence", { to: bare(other.jid), type: "subscribe" }));
  await within(15000, "presence both ways", seen);
  check("presence subscription both ways", true);
});

const chatFrom = (who, body) => (s) => s.is("message") && bare(s.attrs.from ?? "") === bare(who.jid) && (body === undefined || s.getChildText("body") === body);
await attempt("message a->b bare", async () => {
  const got = nextStanza(B.xmpp, chatFrom(A, "hi bare"));
  await A.xmpp.send(xml("message", { to: bare(B.jid), type: "chat" }, xml("body", {}, "hi bare")));
  await within(5000, "bare message", got); check("message a->b bare", true);
});
await attempt("message b->a full", async () => {
  const got = nextStanza(A.xmpp, chatFrom(B, "hi full"));
  await B.xmpp.send(xml("message", { to: A.jid, type: "chat" }, xml("body", {}, "hi full")));
  await within(5000, "full message", got); check("message b->a full", true);
});
await attempt("iq to full jid answered", async () => {
  B.xmpp.on("stanza", (s) => { if (s.is("iq")) console.log("B got iq", s.toString()); });
  A.xmpp.on("stanza", (s) => { if (s.is("iq")) console.log("A got iq", s.toString()); });
  console.log("pinging", B.jid);
  const r = await within(5000, "ping result", A.xmpp.iqCaller.get(xml("ping", "urn:xmpp:ping"), B.jid));
  check("iq to full jid answered", r !== undefined);
});

// PEP nickname: b advertises nick+notify via caps; a publishes; b is notified; b queries a's node.
await attempt("pep nickname publish/notify/query", async () => {
  const NICK = "http://jabber.org/protocol/nick";
  B.xmpp.iqCallee.get("http://jabber.org/protocol/disco#info", "query", () =>
    xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }, xml("identity", { category: "client", type: "phone", name: "t" }),
      xml("feature", { var: "http://jabber.org/protocol/disco#info" }), xml("feature", { var: NICK + "+notify" })));
  await B.xmpp.send(xml("presence", {}, xml("c", { xmlns: "http://jabber.org/protocol/caps", hash: "sha-1", node: "urn:test", ver: "test" + run })));
  await new Promise((r) => setTimeout(r, 1000));
  const notified = nextStanza(B.xmpp, (s) => s.is("message") && s.getChild("event", "http://jabber.org/protocol/pubsub#event"));
  await A.xmpp.iqCaller.set(xml("pubsub", "http://jabber.org/protocol/pubsub",
    xml("publish", { node: NICK }, xml("item", { id: "current" }, xml("nick", NICK, "Alice")))));
  const ev = await within(5000, "pep notification", notified);
  const nick1 = ev.getChild("event").getChild("items").getChild("item").getChildText("nick", NICK);
  const res = await within(5000, "pep query", B.xmpp.iqCaller.get(xml("pubsub", "http://jabber.org/protocol/pubsub", xml("items", { node: NICK })), bare(A.jid)));
  const nick2 = res.getChild("items").getChild("item").getChildText("nick", NICK);
  check("pep nickname publish/notify/query", nick1 === "Alice" && nick2 === "Alice", `${nick1}/${nick2}`);
});

await attempt("200 messages in order", async () => {
  const got = [];
  const done = new Promise((resolve) => { const h = (s) => { if (s.is("message") && s.getChildText("body")?.startsWith("seq ")) { got.push(+s.getChildText("body").slice(4)); if (got.length === 200) { B.xmpp.removeListener("stanza", h); resolve(); } } }; B.xmpp.on("stanza", h); });
  for (let i = 0; i < 200; i++) A.xmpp.send(xml("message", { to: bare(B.jid), type: "chat" }, xml("body", {}, "seq " + i)));
  await within(20000, "200 messages", done);
  check("200 messages in order", got.every((v, i) => v === i), `${got.length} received`);
});

// Round trips: a -> x (echo) -> a, x = b (other node) or d (same node).
const echo = (c) => c.xmpp.on("stanza", (s) => { if (s.is("message") && s.getChildText("body")?.startsWith("rt ")) c.xmpp.send(xml("message", { to: s.attrs.from, type: "chat" }, xml("body", {}, "re" + s.getChildText("body")))); });
echo(B); echo(D);
const rtt = async (peer, n = 300) => {
  const times = [];
  for (let i = 0; i < n; i++) {
    const back = nextStanza(A.xmpp, (s) => s.is("message") && s.getChildText("body") === `rert ${i}`);
    const t0 = performance.now();
    await A.xmpp.send(xml("message", { to: peer.jid, type: "chat" }, xml("body", {}, `rt ${i}`)));
    await within(5000, "echo", back);
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return { p50: times[Math.floor(n * 0.5)].toFixed(2), p99: times[Math.floor(n * 0.99)].toFixed(2) };
};
await attempt("latency", async () => {
  const same = await rtt(D), cross = await rtt(B);
  console.log(`round trip ms: same-node P50 ${same.p50} P99 ${same.p99}; cross-node P50 ${cross.p50} P99 ${cross.p99}`);
  check("latency measured", true);
});

await attempt("non-existent user error", async () => {
  const to = `nobody${run}@${DOMAIN}`;
  const err = nextStanza(A.xmpp, (s) => s.is("message") && s.attrs.type === "error" && bare(s.attrs.from ?? "") === to);
  await A.xmpp.send(xml("message", { to, type: "chat", id: "ghost1" }, xml("body", {}, "anyone?")));
  const e = await within(5000, "error", err);
  const cond = e.getChild("error")?.children.find((c) => c.name && c.name !== "text")?.name;
  check("non-existent user error", cond === "service-unavailable", `${cond} (home ${homeOf(to)})`);
});

// A client landing on a node that is not its home is moved (see-other-uri) and chats from its home.
await attempt("see-other-uri move", async () => {
  const { client } = await import("../../../CommEazy.Tests/js/node_modules/@xmpp/client/index.js");
  const x = client({ service: url("prosody-1"), domain: DOMAIN, username: users.c, password: "pw-" + users.c, resource: "app" });
  x.on("error", () => {});
  let uri = null;
  const closed = new Promise((resolve) => x.on("connect", () => x.socket.on("data", (d) => { const m = /see-other-uri=["']([^"']+)["']/.exec(d); if (m) { uri = m[1].replace(/&amp;/g, "&"); resolve(); } })));
  x.start().catch(() => {});
  await within(5000, "see-other-uri", closed);
  await x.stop().catch(() => {});
  const u = new URL(uri).searchParams.get("u");
  const target = homeOfU(u, NODES);
  const C = await within(20000, "c at home", signIn(session(users.c, target)));
  const got = nextStanza(A.xmpp, chatFrom(C, "moved"));
  await C.xmpp.send(xml("message", { to: bare(A.jid), type: "chat" }, xml("body", {}, "moved")));
  await within(5000, "message from moved client", got);
  check("see-other-uri move", target === "prosody-3" && u === userKey(`${users.c}@${DOMAIN}`), `uri=${uri} -> ${target}`);
  await C.xmpp.stop().catch(() => {});
});

// Kill b's home: a gets b unavailable, a message to b bounces to a.
await attempt("node death", async () => {
  const unavailable = nextStanza(A.xmpp, (s) => s.is("presence") && s.attrs.type === "unavailable" && bare(s.attrs.from ?? "") === bare(B.jid));
  B.xmpp.removeAllListeners("error"); B.xmpp.on("error", () => {}); B.xmpp.reconnect?.stop?.();
  const t0 = Date.now();
  execFileSync("docker", ["kill", "cez-prosody-2"]);
  const early = nextStanza(A.xmpp, (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === "dead1");
  await A.xmpp.send(xml("message", { to: bare(B.jid), type: "chat", id: "dead1" }, xml("body", {}, "are you there?")));
  const e1 = await within(15000, "bounce right after the kill", early);
  check("message to a user of a dead node bounces (right after kill)", true, e1.getChild("error")?.toString());
  await within(30000, "b unavailable", unavailable);
  check("contacts get unavailable after node death", true, `${Date.now() - t0} ms`);
  const later = nextStanza(A.xmpp, (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === "dead2");
  await A.xmpp.send(xml("message", { to: bare(B.jid), type: "chat", id: "dead2" }, xml("body", {}, "still?")));
  const e2 = await within(10000, "bounce after membership change", later);
  check("message to a user of a dead node bounces (after membership change)", true, e2.getChild("error")?.toString());
});

const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed}/${results.length} checks passed`);
await Promise.all([A.xmpp.stop(), D.xmpp.stop()].map((p) => p.catch(() => {})));
process.exit(failed ? 1 : 0);
