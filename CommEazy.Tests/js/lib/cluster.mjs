// Helpers for the cluster scenarios: contacts, chat, echo and the RFC 7395 see-other-uri an app should follow.
import { nextStanza, within, xml } from "./session.mjs";

export const bare = (jid) => jid.split("/")[0];
export const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
export const NS_PING = "urn:xmpp:ping";
export const NS_NICK = "http://jabber.org/protocol/nick";
export const NS_PUBSUB = "http://jabber.org/protocol/pubsub";

/** True for an available presence from `who` (a signed-in client or a JID). */
export const availableFrom = (who) => (s) => s.is("presence") && !s.attrs.type && bare(s.attrs.from ?? "") === bare(who.jid ?? who);
export const unavailableFrom = (who) => (s) => s.is("presence") && s.attrs.type === "unavailable" && bare(s.attrs.from ?? "") === bare(who.jid ?? who);
export const chatFrom = (who, body) => (s) =>
  s.is("message") && s.attrs.type !== "error" && bare(s.attrs.from ?? "") === bare(who.jid) && (body === undefined || s.getChildText("body") === body);
export const errorFor = (id) => (s) => s.attrs.type === "error" && s.attrs.id === id;

/** The defined condition of an error stanza (e.g. "service-unavailable"), or null. */
export function errorCondition(stanza) {
  return stanza.getChild("error")?.children.find((c) => typeof c === "object" && c.name !== "text")?.name ?? null;
}

/** Approves every subscription request from `other`, as the app does for an accepted contact. */
export function approveSubscriptionsFrom(me, other) {
  me.xmpp.on("stanza", async (s) => {
    if (s.is("presence") && s.attrs.type === "subscribe" && bare(s.attrs.from) === bare(other.jid)) {
      await me.xmpp.send(xml("presence", { to: s.attrs.from, type: "subscribed" }));
    }
  });
}

/** Makes `a` and `b` mutual contacts and waits until each has seen the other available. */
export async function becomeContacts(a, b, ms = 15000) {
  approveSubscriptionsFrom(a, b);
  approveSubscriptionsFrom(b, a);
  const seen = Promise.all([nextStanza(a.xmpp, availableFrom(b)), nextStanza(b.xmpp, availableFrom(a))]);
  await a.xmpp.send(xml("presence", { to: bare(b.jid), type: "subscribe" }));
  await b.xmpp.send(xml("presence", { to: bare(a.jid), type: "subscribe" }));
  await within(ms, "presence both ways", seen);
}

/** Sends a chat message and resolves with the stanza `to` received, or rejects after `ms`. */
export async function chat(from, to, body, { full = false, ms = 5000 } = {}) {
  const got = nextStanza(to.xmpp, chatFrom(from, body));
  await from.xmpp.send(xml("message", { to: full ? to.jid : bare(to.jid), type: "chat" }, xml("body", {}, body)));
  return within(ms, `"${body}" to arrive`, got);
}

/** Answers every chat message whose body starts with `prefix` with "re:" + body (an echoing peer). */
export function echo(client, prefix) {
  client.xmpp.on("stanza", (s) => {
    const body = s.is("message") && s.attrs.type === "chat" ? s.getChildText("body") : null;
    if (body?.startsWith(prefix)) client.xmpp.send(xml("message", { to: s.attrs.from, type: "chat" }, xml("body", {}, "re:" + body)));
  });
}

/**
 * Round trips a -> peer (echoing) -> a, one at a time with `gapMs` between them (as people chat: back-to-back
 * stanzas would measure Prosody's per-connection rate limit instead); returns { p50, p99 } in ms.
 */
export async function roundTrips(a, peer, prefix, n, gapMs = 40) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const body = `${prefix}${i}`;
    const back = nextStanza(a.xmpp, (s) => s.is("message") && s.getChildText("body") === "re:" + body);
    const t0 = performance.now();
    await a.xmpp.send(xml("message", { to: peer.jid, type: "chat" }, xml("body", {}, body)));
    await within(5000, "an echo", back);
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  times.sort((x, y) => x - y);
  const at = (q) => +times[Math.min(n - 1, Math.floor(n * q))].toFixed(2);
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * Follows RFC 7395 see-other-uri, which xmpp.js 0.14 ignores (it reconnects to its configured service): the URI
 * becomes the service its reconnect uses. Calls `onMove(uri)` each time. The app should do the same.
 */
export function followSeeOtherUri(xmpp, onMove = () => {}) {
  xmpp.on("connect", () => {
    xmpp.socket?.on("data", (data) => {
      const m = /<close[^>]*see-other-uri=["']([^"']+)["']/.exec(String(data));
      if (m) {
        const uri = m[1].replace(/&amp;/g, "&");
        xmpp.options.service = uri;
        onMove(uri);
      }
    });
  });
}

/** Resolves when `client` is online again after a reconnect (its `online` event). */
export const nextOnline = (client) => new Promise((resolve) => client.xmpp.once("online", resolve));
