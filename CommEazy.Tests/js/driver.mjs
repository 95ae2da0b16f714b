// An interactive driver of real xmpp.js clients, for tests that interleave app actions with checks on the server
// side (a fake APNs, the database). Reads one JSON command per line on stdin, answers one JSON line per command on
// stdout: { "id": n, "ok": true, ...result } or { "id": n, "ok": false, "error": "…" }. Commands:
//   signIn { name, session, relay }        sign in (through a cuttable TCP relay when relay is true) → { jid }
//   enablePush { name, jid, node, secret } XEP-0357 <enable/>; re-sent on every new session, as the app does
//   send { name, to, body }                a chat message to a bare JID → { sentAt }
//   propose { name, to, callId }           a XEP-0353 call proposal (audio) → { sentAt }
//   publishAsUser { name, to, node, secret }  a XEP-0357 publish sent by a user straight to the app server → { error }
//   nextMessage { name, from, timeoutMs }  waits for a chat message with a body from a bare JID → { body }
//   nextBounce { name, from, timeoutMs }   waits for a message error from a bare JID → { condition }, null if none came
//   stop { name }                          a clean sign-out (</close>)
//   cut { name }                           the connection dies without any close: the relay resets it
// Secrets (passwords, push secrets) come only on stdin and are never printed.
import net from "node:net";
import readline from "node:readline";
import { signIn, nextStanza, within, xml } from "./lib/session.mjs";

const clients = new Map(); // name -> { xmpp, jid, relay, push: [] }
const bare = (jid) => (jid ?? "").split("/")[0];

/**
 * An IQ request that survives xmpp.js losing its session meanwhile (the IQ dies with the old session): after a
 * quiet 5 s it is sent again, up to three times. Only for IQs that are safe to repeat.
 */
async function request(name, build) {
  for (let attempt = 1; ; attempt++) {
    const { xmpp } = await ready(name);
    try {
      return await xmpp.iqCaller.request(build(), 5000);
    } catch (e) {
      if (e?.name !== "TimeoutError" || attempt === 3) throw e;
    }
  }
}

/**
 * The client, once it is online. xmpp.js sometimes loses its session to a stream-management error (DESIGN.md §4)
 * and reconnects by itself; an app waits for that before sending, and so does the driver.
 */
async function ready(name) {
  const client = clients.get(name);
  if (!client) throw new Error(`no signed-in client named ${name}`);
  if (client.xmpp.status !== "online") {
    await within(15000, `${name} to be online again`, new Promise((resolve) => client.xmpp.once("online", resolve)));
  }
  return client;
}

/** A TCP relay to the Edge that can be cut: both sides reset, no WebSocket or XMPP close is sent. */
async function startRelay(host, port) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      a.pipe(b);
      a.on("error", () => b.destroy());
      a.on("close", () => b.destroy());
    }
    sockets.add(client).add(upstream);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    cut() {
      server.close();
      for (const socket of sockets) socket.resetAndDestroy();
    },
  };
}

function enableElement({ jid, node, secret }) {
  return xml("iq", { type: "set", id: `enable-${Math.random().toString(36).slice(2)}` },
    xml("enable", { xmlns: "urn:xmpp:push:0", jid, node },
      xml("x", { xmlns: "jabber:x:data", type: "submit" },
        xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/pubsub#publish-options")),
        xml("field", { var: "secret" }, xml("value", {}, secret)))));
}

const commands = {
  async signIn({ name, session, relay }) {
    let service = session.websocketUrl;
    let cuttable = null;
    if (relay) {
      const url = new URL(session.websocketUrl);
      cuttable = await startRelay(url.hostname, Number(url.port));
      url.hostname = "127.0.0.1";
      url.port = String(cuttable.port);
      service = url.toString();
    }
    const client = { push: [], relay: cuttable };
    const signedIn = await within(20000, `${name} to sign in`, signIn({ ...session, websocketUrl: service }));
    Object.assign(client, signedIn);
    // The app enables push again on every new session (xmpp.js may replace a session after a stream error).
    client.xmpp.on("online", async () => {
      for (const settings of client.push) await client.xmpp.iqCaller.request(enableElement(settings)).catch(() => {});
    });
    clients.set(name, client);
    return { jid: client.jid };
  },

  async enablePush({ name, jid, node, secret }) {
    const client = await ready(name);
    client.push.push({ jid, node, secret });
    await request(name, () => enableElement({ jid, node, secret }));
    return {};
  },

  async send({ name, to, body }) {
    const { xmpp } = await ready(name);
    const sentAt = Date.now();
    await xmpp.send(xml("message", { to, type: "chat", id: `m-${sentAt}` }, xml("body", {}, body)));
    return { sentAt };
  },

  async propose({ name, to, callId }) {
    const { xmpp } = await ready(name);
    const sentAt = Date.now();
    await xmpp.send(xml("message", { to, type: "chat", id: `propose-${callId}` },
      xml("propose", { xmlns: "urn:xmpp:jingle-message:0", id: callId },
        xml("description", { xmlns: "urn:xmpp:jingle:apps:rtp:1", media: "audio" })),
      xml("store", { xmlns: "urn:xmpp:hints" })));
    return { sentAt };
  },

  async publishAsUser({ name, to, node, secret }) {
    const publish = () => xml("iq", { type: "set", to, id: `publish-${Date.now()}` },
      xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub" },
        xml("publish", { node }, xml("item", {}, xml("notification", { xmlns: "urn:xmpp:push:0" }))),
        xml("publish-options", {}, xml("x", { xmlns: "jabber:x:data", type: "submit" },
          xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/pubsub#publish-options")),
          xml("field", { var: "secret" }, xml("value", {}, secret))))));
    try {
      await request(name, publish);
      return { error: null };
    } catch (e) {
      return { error: { type: e.type ?? null, condition: e.condition ?? null } };
    }
  },

  async nextMessage({ name, from, timeoutMs }) {
    const { xmpp } = clients.get(name);
    const message = await within(timeoutMs ?? 10000, `a message from ${from}`, nextStanza(xmpp,
      (s) => s.is("message") && s.getChildText("body") !== null && bare(s.attrs.from) === bare(from)));
    return { body: message.getChildText("body") };
  },

  async nextBounce({ name, from, timeoutMs }) {
    const { xmpp } = clients.get(name);
    const bounce = nextStanza(xmpp, (s) => s.is("message") && s.attrs.type === "error" && bare(s.attrs.from) === bare(from));
    const none = new Promise((resolve) => setTimeout(() => resolve(null), timeoutMs ?? 2000));
    const error = await Promise.race([bounce, none]);
    return { condition: error?.getChild("error")?.children.find((c) => typeof c !== "string" && c.name !== "text")?.name ?? null };
  },

  async stop({ name }) {
    const client = clients.get(name);
    client.xmpp.reconnect.stop();
    await within(10000, `${name} to sign out`, client.xmpp.stop());
    clients.delete(name);
    return {};
  },

  async cut({ name }) {
    const client = clients.get(name);
    client.xmpp.reconnect.stop(); // the phone is gone: nothing reconnects
    client.relay.cut();
    clients.delete(name);
    return {};
  },
};

// Commands run concurrently (a test may wait for a message while another client sends it); each starts in arrival order.
async function run(line) {
  const { id, cmd, ...args } = JSON.parse(line);
  try {
    const result = await commands[cmd](args);
    console.log(JSON.stringify({ id, ok: true, ...result }));
  } catch (e) {
    console.log(JSON.stringify({ id, ok: false, error: String(e?.condition ?? e?.message ?? e) }));
  }
}

const running = [];
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line.trim()) running.push(run(line));
}
await Promise.allSettled(running);
process.exit(0); // cut clients leave timers behind
