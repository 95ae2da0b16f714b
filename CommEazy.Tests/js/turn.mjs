// Scenario: a signed-in app asks its node for STUN/TURN services (XEP-0215), as it does before a call.
// Input (stdin): { "session": session }. Output (stdout): { "services": [ { type, transport, host, port, username, password, expires } ] }.
import { readInput, signIn, within, xml } from "./lib/session.mjs";

const input = await readInput();
const app = await within(20000, "sign-in", signIn(input.session));
const domain = input.session.jid.split("@")[1];
const answer = await within(10000, "the services answer",
  app.xmpp.iqCaller.request(xml("iq", { type: "get", to: domain, id: "disco-services" }, xml("services", { xmlns: "urn:xmpp:extdisco:2" }))));
const services = answer.getChild("services", "urn:xmpp:extdisco:2").getChildren("service").map((s) => ({ ...s.attrs }));
await app.xmpp.stop();
console.log(JSON.stringify({ services }));
