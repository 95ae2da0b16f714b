// A signed-in xmpp.js client as the CommEazy app runs it: WebSocket to the Edge, SASL with the password the
// AuthBridge handed out, presence re-announced on every new session (xmpp.js does not resend it by itself), and
// nothing sent on a new session before XEP-0198 stream management is settled (see onSessionReady).
import { client, xml } from "@xmpp/client";

const NS_SM = "urn:xmpp:sm:3";
const NS_STREAMS = "http://etherx.jabber.org/streams";

/** Reads the scenario's input (JSON with passwords) from stdin, so no secret shows in a process list. */
export async function readInput() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text);
}

/** Rejects after `ms` with a message naming what was awaited. */
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the first stanza for which `match` returns true. */
export function nextStanza(xmpp, match) {
  return new Promise((resolve) => {
    const onStanza = (stanza) => {
      if (match(stanza)) {
        xmpp.removeListener("stanza", onStanza);
        resolve(stanza);
      }
    };
    xmpp.on("stanza", onStanza);
  });
}

/**
 * Calls `ready` once per new session (every "online"; a resumed session keeps its presence and gets no call) at the
 * first moment the app may send: when the server has answered `<enable/>` with `<enabled/>` or `<failed/>` and
 * xmpp.js has applied that answer, or at "online" when the server offers no stream management.
 *
 * Why not on "online": xmpp.js 0.14 fires "online" right after resource binding, before it sends `<enable/>`. A
 * stanza sent then (e.g. the initial presence) makes the server answer (its presence burst, then `<r/>`) in the same
 * WebSocket read as `<enabled/>`; xmpp.js resets its inbound counter only in a promise continuation after that read,
 * so it acknowledges stanzas the server sent before `<enabled/>` and the server closes the stream ("Client
 * acknowledged more stanzas than sent by server"), losing what is sent to the user until it reconnects.
 * Once the counter is reset the server has nothing to send until the app's first stanza, so every count is right.
 */
export function onSessionReady(xmpp, ready) {
  let offered = false;
  xmpp.on("element", (el) => {
    if (el.is("features", NS_STREAMS)) offered = el.getChild("sm", NS_SM) !== undefined;
  });
  xmpp.on("online", () => {
    if (!offered) {
      ready();
      return;
    }
    const settled = (el) => {
      if (el.attrs.xmlns !== NS_SM || (el.name !== "enabled" && el.name !== "failed")) return;
      stop();
      // xmpp.js applies the answer in a promise continuation; all of them run before the next macrotask, so a
      // zero-delay timer is the first moment its counters are right (an event-loop turn, not a wait for the server).
      setTimeout(ready, 0);
    };
    const stop = () => {
      xmpp.removeListener("nonza", settled);
      xmpp.removeListener("disconnect", stop);
    };
    xmpp.on("nonza", settled);
    xmpp.on("disconnect", stop);
  });
}

/**
 * Signs in and announces presence. `session` is `{ jid, password, websocketUrl }` as the AuthBridge returns it.
 * Resolves once the server has reflected the initial presence back (RFC 6121 §4.2.2), i.e. the session is available
 * and a message to the bare JID reaches it. Returns `{ xmpp, jid, mechanism }`; `mechanism` is the SASL mechanism the
 * library chose. `beforeStart(xmpp)` may attach listeners before the first connection.
 */
export async function signIn(session, { resource = "app", beforeStart = () => {} } = {}) {
  const [localpart, domain] = session.jid.split("@");
  const xmpp = client({ service: session.websocketUrl, domain, resource, credentials: credentialsOf(session) });
  keepReconnecting(xmpp);
  beforeStart(xmpp);
  const signedIn = { xmpp, jid: null, mechanism: null };
  xmpp.on("send", (el) => {
    if ((el.name === "auth" || el.name === "authenticate") && el.attrs.mechanism) signedIn.mechanism = el.attrs.mechanism;
  });
  xmpp.on("error", (err) => console.error(`[${localpart.slice(0, 6)}…] ${err.condition ?? err.message}`));
  let available;
  const firstAvailable = new Promise((resolve) => (available = resolve));
  onSessionReady(xmpp, async () => {
    signedIn.jid = xmpp.jid.toString();
    const reflected = nextStanza(xmpp, (s) => s.is("presence") && !s.attrs.type && s.attrs.from === signedIn.jid);
    // The connection may already be gone again (a node going away): the next session announces presence.
    const sent = await xmpp.send(xml("presence")).then(() => true, () => false);
    if (sent) {
      await reflected;
      available();
    }
  });
  await xmpp.start();
  await firstAvailable;
  return signedIn;
}

/**
 * The credentials xmpp.js signs in with: the password, and the SCRAM keys the AuthBridge hands out beside it (when
 * the session has them), so xmpp.js skips deriving them: its SCRAM-SHA-1 does that with 10 000 asynchronous
 * WebCrypto HMACs, about 0.6 s of CPU per login.
 */
export function credentialsOf(session) {
  const [username] = session.jid.split("@");
  const bytes = (b64) => Uint8Array.from(Buffer.from(b64, "base64"));
  return session.scram
    ? { username, password: session.password, salt: bytes(session.scram.salt), clientKey: bytes(session.scram.clientKey), serverKey: bytes(session.scram.serverKey) }
    : { username, password: session.password };
}

/**
 * xmpp.js 0.14 gives up for good when a reconnect attempt fails before the WebSocket opens (the Edge answers 503 or
 * 504 while a node is lost or the cluster admits a reconnect storm): it emits `error` and never tries again. The
 * app must retry; this does what the README tells app developers to do: mark the attempt as a disconnect, which
 * makes the reconnect module schedule the next one (after its delay, plus jitter so a crowd does not return in step).
 */
function keepReconnecting(xmpp) {
  const { reconnect } = xmpp;
  const attempt = reconnect.reconnect.bind(reconnect);
  reconnect.reconnect = async () => {
    try {
      await attempt();
    } catch (err) {
      reconnect.delay = 1000 + Math.floor(Math.random() * 1000);
      if (xmpp.status === "connecting") xmpp._status("disconnect", { clean: false, reason: err });
      throw err;
    }
  };
}

export { xml };
