-- CommEazy: what a XEP-0357 push publish says (an extension of mod_cloud_notify).
-- Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- mod_cloud_notify publishes for every stanza that reaches an offline or hibernating
-- push-enabled session, important or not. A push wakes the phone and, on iOS, shows an alert:
-- this module lets through only what is worth it (a message with a body, an encrypted message,
-- a XEP-0353 call proposal; the "important" of mod_cloud_notify) and vetoes the rest
-- (receipts, chat states, carbons of our own messages). It tells the app server which kind of
-- event waits, with <kind xmlns='urn:commeazy:push:0'>message|call</kind> in the notification, so a
-- call can ring through a VoIP push. It adds nothing else: no body, no sender, no id.

local xmlns_commeazy_push = "urn:commeazy:push:0";
local xmlns_jingle_message = "urn:xmpp:jingle-message:0";

local push_unimportant = module:get_option_boolean("commeazy_push_unimportant", false);

local pushes = module:metric("counter", "publishes", "", "XEP-0357 publishes by kind, or the reason they were vetoed", { "kind" });

module:depends("cloud_notify");

-- Returns the kind of event a push announces, or nil and why it is not worth a push.
local function kind_of(event)
	local stanza = event.original_stanza;
	if stanza and stanza.name == "message" and stanza:get_child("propose", xmlns_jingle_message) then
		return "call";
	end
	if event.important or not stanza then -- no stanza: a cloud-notify-ping, sent on purpose
		return "message";
	end
	if push_unimportant then
		return "message";
	end
	return nil, "unimportant";
end

local function on_push(event)
	local kind, reason = kind_of(event);
	if not kind then
		event.reason = reason;
		pushes:with_labels(reason):add(1);
		module:log("debug", "No push: %s", reason);
		return true; -- vetoes the publish
	end
	event.notification_payload:text_tag("kind", kind, { xmlns = xmlns_commeazy_push });
	pushes:with_labels(kind):add(1);
end
module:hook("cloud_notify/push", on_push);
