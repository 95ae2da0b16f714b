-- CommEazy: only the XMPP service talks to its push app server (XEP-0114 component host).
-- Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- Load on the push component (Component "push.<domain>"). Users can address any JID, the app
-- server's included; XEP-0357 gives them nothing to say to it, and a publish from a user must
-- never reach APNs/FCM. Every stanza not sent by the user domain itself (mod_cloud_notify
-- publishes from the host) is refused with <forbidden/> before mod_component forwards it, so
-- the gateway sees only Prosody's publishes and pongs.

local st = require "prosody.util.stanza";

local service_host = module:get_option_string("commeazy_push_service_host");
if not service_host then
	error("commeazy_push_service_host (the user domain whose publishes are served) is not set");
end

local refused = module:metric("counter", "refused", "", "Stanzas to the push component refused because of their sender", { "stanza" });

local function guard(event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.from == service_host then
		return; -- the service itself: on to mod_component
	end
	refused:with_labels(stanza.name):add(1);
	module:log("debug", "Refused a %s to the push component from a non-service sender", stanza.name);
	if stanza.attr.type ~= "error" and stanza.attr.type ~= "result" then
		origin.send(st.error_reply(stanza, "cancel", "forbidden", "Only the XMPP service may use its push app server"));
	end
	return true;
end

-- Priority 10: before mod_component's forwarding handlers (-1).
for _, kind in ipairs({ "iq", "message", "presence" }) do
	for _, to in ipairs({ "bare", "full", "host" }) do
		module:hook(kind .. "/" .. to, guard, 10);
	end
end
