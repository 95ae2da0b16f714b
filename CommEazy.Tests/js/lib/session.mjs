// A signed-in xmpp.js client as the CommEazy app runs it: WebSocket to the Edge, SASL with the password the
// AuthBridge handed out, presence re-announced on every (re)connect (xmpp.js does not resend it by itself).
import { client, xml } from "@xmpp/client";

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
 * Signs in and announces presence. `session` is `{ jid, password, websocketUrl }` as the AuthBridge returns it.
 * Returns `{ xmpp, jid, mechanism }`; `mechanism` is the SASL mechanism the library chose. `beforeStart(xmpp)` may
 * attach listeners before the first connection.
 */
export async function signIn(session, { resource = "app", beforeStart = () => {} } = {}) {
  const [localpart, domain] = session.jid.split("@");
  const xmpp = client({ service: session.websocketUrl, domain, username: localpart, password: session.password, resource });
  keepReconnecting(xmpp);
  beforeStart(xmpp);
  const signedIn = { xmpp, jid: null, mechanism: null };
  xmpp.on("send", (el) => {
    if ((el.name === "auth" || el.name === "authenticate") && el.attrs.mechanism) signedIn.mechanism = el.attrs.mechanism;
  });
  xmpp.on("error", (err) => console.error(`[${localpart.slice(0, 6)}…] ${err.condition ?? err.message}`));
  // Resolves after the first initial presence is out, so that the caller's own presence always comes after it.
  let announced;
  const online = new Promise((resolve) => { announced = resolve; });
  xmpp.on("online", async (address) => {
    signedIn.jid = address.toString();
    await smSettled(xmpp);
    // The connection may already be gone again (a node going away): the next `online` announces presence.
    await xmpp.send(xml("presence")).catch(() => {});
    announced();
  });
  await xmpp.start();
  await online;
  return signedIn;
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

/**
 * Resolves once XEP-0198 is enabled (or given up on) for the new session. xmpp.js 0.14 emits `online` before it has
 * enabled stream management; presence sent earlier makes the server's replies race the <enabled/> and the
 * client's stanza count goes wrong (the server then closes the stream). Interim: see the README.
 */
async function smSettled(xmpp, ms = 3000) {
  const sm = xmpp.streamManagement;
  for (let waited = 0; sm && !sm.enabled && waited < ms; waited += 20) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { xml };
