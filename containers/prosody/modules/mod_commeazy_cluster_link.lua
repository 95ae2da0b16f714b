-- CommEazy cluster: the node-to-node link, receiving side and s2s policy (DESIGN.md §3.4–3.6).
-- Copyright (C) 2026 CommEazy. MIT/X11 licence.
--
-- The component module of this node's cluster host (`Component "<node id>" "commeazy_cluster_link"`).
--  * Accepts <message><fwd xmlns='urn:commeazy:cluster:0'> wrappers only from certificate-
--    authenticated s2s peers whose host is a current cluster member; normalises the inner
--    stanza's namespaces, marks it (one hop) and injects it on the user domain as a local stanza,
--    with the host as origin so that replies and errors route normally.
--  * A wrapper of ours that fails comes back to mod_commeazy_cluster as a local fallback: as an
--    error bounce (peer unreachable), or, when the link dies with wrappers the peer never
--    acknowledged (XEP-0198 on s2s, mod_smacks), as the unacknowledged wrapper itself.
--  * When a member dies (its beat went stale), the links with it are closed at once, so what it
--    never acknowledged falls back instead of waiting for TCP to notice.
--  * s2s with any host that is not a cluster member is refused in both directions, and outgoing
--    connections go straight to <host>:5269 (the container network has no SRV records).

local st = require "prosody.util.stanza";
local jid = require "prosody.util.jid";
local time = require "prosody.util.time";
local basic_resolver = require "prosody.net.resolvers.basic";
local s2smanager = require "prosody.core.s2smanager";

local xmlns_cluster = "urn:commeazy:cluster:0";
local xmlns_client = "jabber:client";

local user_domain = module:get_option_string("commeazy_cluster_user_host");
local s2s_port = module:get_option_integer("commeazy_cluster_s2s_port", 5269, 1, 65535);

assert(user_domain, "commeazy_cluster_user_host is required");

local members = module:shared("/*/commeazy_cluster_members/state");
local link = module:shared("/*/commeazy_cluster/link"); -- injected (weak set), fallback (function)

local m_received = module:metric("counter", "received", "", "Forwarded stanzas received from peers, by outcome", { "kind", "outcome" });
local m_hop = module:measure("hop_latency", "times", { buckets = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5 } });
local m_refused = module:metric("counter", "s2s_refused", "", "s2s connections and routes refused by the cluster policy", { "direction" });
local m_links_cut = module:metric("counter", "links_cut", "", "s2s links closed because their peer died"):with_labels();

-- Returns ok, reason: a host is a peer while a fresh member row (live or draining) names it.
local function is_cluster_peer(host)
	if not host then return false, "no-host"; end
	for id, h in pairs(members.hosts) do
		if h == host and id ~= members.me then return true, "member"; end
	end
	return false, "not-a-member";
end

-- Returns ok, reason: may this origin inject stanzas as if they were local?
local function may_inject(origin, from_host)
	if origin.type ~= "s2sin" then return false, "not-s2s"; end
	if origin.from_host ~= from_host then return false, "wrong-stream"; end
	if not origin.secure then return false, "not-encrypted"; end
	if origin.cert_identity_status ~= "valid" then return false, "cert-not-valid"; end
	return is_cluster_peer(from_host);
end

-- Turns a stanza parsed inside a wrapper back into the shape of a local one: the s2s parser marks
-- it and every descendant in the client namespace with xmlns='jabber:client' (foreign to the
-- s2s stream), where local stanzas have no xmlns at all. Attributes that only repeat the
-- inherited namespace are dropped; meaningful ones stay (a carbon's inner message). Walks
-- el.tags itself: childtags() would skip the very children whose namespace differs.
local function unwrap(el, parent_ns)
	local ns = el.attr.xmlns or parent_ns;
	if el.attr.xmlns == parent_ns then el.attr.xmlns = nil; end
	for _, child in ipairs(el.tags) do unwrap(child, ns); end
	return el;
end

-- The stanza inside a wrapper, detached from it and shaped as a local stanza.
local function inner_stanza(fwd)
	return unwrap(st.clone(fwd.tags[1]), xmlns_client);
end

local function handle_wrapper(event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.type == "error" then
		-- One of our wrappers bounced (an error reply keeps the id but not the payload).
		return link.fallback(stanza.attr.id) or nil;
	end
	local fwd = stanza:get_child("fwd", xmlns_cluster);
	if not fwd then return; end
	local from_host = jid.host(stanza.attr.from);
	local inner = fwd.tags[1];
	local kind = inner and inner.name or "none";
	local ok, reason = may_inject(origin, from_host);
	if not ok then
		module:log("warn", "Refused a cluster forward from %s: %s", tostring(from_host), reason);
		m_received:with_labels(kind, reason):add(1);
		return true;
	end
	if kind ~= "message" and kind ~= "presence" and kind ~= "iq" or #fwd.tags ~= 1 then
		m_received:with_labels(kind, "bad-payload"):add(1);
		return true;
	end
	local sent_at = tonumber(fwd.attr.ts);
	if sent_at then m_hop(math.max(0, time.now() - sent_at)); end
	inner = inner_stanza(fwd);
	link.injected[inner] = true;
	m_received:with_labels(kind, "injected"):add(1);
	prosody.core_post_stanza(prosody.hosts[user_domain], inner);
	return true;
end
-- Priority 10: before mod_message's default handling of stanzas addressed to this host.
module:hook("message/host", handle_wrapper, 10);

-- A link died with wrappers the peer never acknowledged: each one falls back to local handling.
local function on_delivery_failure(event)
	local wrapper = event.stanza;
	local fwd = wrapper.name == "message" and wrapper:get_child("fwd", xmlns_cluster);
	if not (fwd and fwd.tags[1]) then return; end
	link.fallback(wrapper.attr.id, inner_stanza(fwd));
	return true; -- no error reply for the wrapper itself
end
module:hook("delivery/failure", on_delivery_failure);

-- Closes every s2s stream between this host and `peer_host`. Returns the number closed.
local function cut_links(peer_host)
	local n = 0;
	local out = prosody.hosts[module.host].s2sout[peer_host];
	if out and out.close then
		out:close({ condition = "connection-timeout", text = "Cluster member is gone" });
		n = n + 1;
	elseif out then -- still connecting: what waits in its queue bounces back to us
		s2smanager.destroy_session(out, "Cluster member is gone");
		n = n + 1;
	end
	for session in pairs(prosody.incoming_s2s) do
		if session.to_host == module.host and session.from_host == peer_host then
			session:close({ condition = "connection-timeout", text = "Cluster member is gone" });
			n = n + 1;
		end
	end
	return n;
end

local last_hosts = {};
local function on_members_changed(event)
	for id, why in pairs(event.left) do
		local peer_host = last_hosts[id];
		if why == "dead" and peer_host then
			local n = cut_links(peer_host);
			m_links_cut:add(n);
			module:log("info", "Member %s is gone: closed %d links with %s", id, n, peer_host);
		end
	end
	last_hosts = {};
	for id, h in pairs(members.hosts) do last_hosts[id] = h; end
end
module:hook_global("commeazy/cluster/members-changed", on_members_changed);

-- s2s policy: cluster members only, both directions.
local function check_established(event)
	local session = event.session or event.origin;
	local peer = session.direction == "outgoing" and session.to_host or session.from_host;
	local ok, reason = is_cluster_peer(peer);
	if not ok then
		m_refused:with_labels(session.direction or "unknown"):add(1);
		module:log("warn", "Closing s2s with %s: %s", tostring(peer), reason);
		session:close({ condition = "policy-violation", text = "Cluster members only" });
		return true;
	end
end
module:hook("s2sin-established", check_established);
module:hook("s2sout-established", check_established);

-- Priority 100: before mod_s2s's route/remote handlers, so nothing connects to a non-member.
module:hook("route/remote", function (event)
	local ok, reason = is_cluster_peer(event.to_host);
	if not ok then
		m_refused:with_labels("route"):add(1);
		module:log("debug", "Not routing to %s: %s", tostring(event.to_host), reason);
		return false; -- unrouted: core_route_stanza bounces it
	end
end, 100);

-- Connect to <peer host>:5269 directly (the peer host is its container DNS name).
module:hook("s2sout-pre-connect", function (event)
	event.resolver = basic_resolver.new(event.session.to_host, s2s_port, "tcp", { use_ipv4 = true; use_ipv6 = false });
end);
