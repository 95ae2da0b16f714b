// Scenario: signing in with the AuthBridge's SCRAM keys instead of deriving them from the password.
// Input (stdin): { session }. Output (stdout): { keysOnly, withKeysMs, withPasswordMs } — keysOnly: a sign-in whose
// password is wrong but whose keys are right succeeds (so the keys, not the password, were used).
import { readInput, signIn, within } from "./lib/session.mjs";

const input = await readInput();
const timed = async (session) => {
  const t0 = performance.now();
  const c = await within(30000, "a sign-in", signIn(session));
  const ms = performance.now() - t0;
  await c.xmpp.stop().catch(() => {});
  return ms;
};
const facts = {};
facts.keysOnly = await timed({ ...input.session, password: "not-the-password" }).then(() => true, () => false);
const rounds = 5;
let withKeys = 0, withPassword = 0;
for (let i = 0; i < rounds; i++) {
  withKeys += await timed(input.session);
  withPassword += await timed({ ...input.session, scram: undefined });
}
facts.withKeysMs = Math.round(withKeys / rounds);
facts.withPasswordMs = Math.round(withPassword / rounds);
console.log(JSON.stringify(facts));
process.exit(0);
