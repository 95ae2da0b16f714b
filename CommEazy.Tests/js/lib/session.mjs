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
 * Returns `{ xmpp, jid, mechanism }`; `mechanism` is the SASL mechanism the library chose.
 */
export async function signIn(session, { resource = "app" } = {}) {
  const [localpart, domain] = session.jid.split("@");
  const xmpp = client({ service: session.websocketUrl, domain, username: localpart, password: session.password, resource });
  const signedIn = { xmpp, jid: null, mechanism: null };
  xmpp.on("send", (el) => {
    if ((el.name === "auth" || el.name === "authenticate") && el.attrs.mechanism) signedIn.mechanism = el.attrs.mechanism;
  });
  xmpp.on("error", (err) => console.error(`[${localpart.slice(0, 6)}…] ${err.condition ?? err.message}`));
  xmpp.on("online", async (address) => {
    signedIn.jid = address.toString();
    await xmpp.send(xml("presence"));
  });
  const online = new Promise((resolve) => xmpp.once("online", resolve));
  await xmpp.start();
  await online;
  return signedIn;
}

export { xml };
