-- CommEazy cluster: the node-to-node link (receiving side and s2s policy) (DESIGN.md §3.4, §3.6).
-- Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- Loaded as the component module of this node's cluster host (`Component "<node id>"
-- "commeazy_cluster_link"`). Accepts <message><fwd xmlns='urn:commeazy:cluster:0'> wrappers only
-- from cert-authenticated s2s peers whose host is a current cluster member, normalises the inner
-- stanza's namespaces, marks it (one hop) and injects it on the user domain as a local stanza.
-- An error bounce of one of our own wrappers hands the original back to mod_commeazy_cluster
-- (local fallback). s2s with any other host is refused in both directions; outgoing
-- connections go straight to <host>:5269 (no SRV lookups on the container network).

local st = require "prosody.util.stanza";
local jid = require "prosody.util.jid";
local time = require "prosody.util.time";
local basic_resolver = require "prosody.net.resolvers.basic";

local xmlns_cluster = "urn:commeazy:cluster:0";
local xmlns_client = "jabber:client";

local user_domain = module:get_option_string("commeazy_cluster_user_host");
local s2s_port = module:get_option_integer("commeazy_cluster_s2s_port", 5269, 1, 65535);

local members = module:shared("/*/commeazy_cluster_members/state");
local link = module:shared("/*/commeazy_cluster/link"); -- injected (weak set), fallback (function)

local m_received = module:metric("counter", "received", "", "Forwarded stanzas received from peers", { "kind", "outcome" });
local m_hop = module:measure("hop_latency", "times", { buckets = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5 } });
local m_refused = module:metric("counter", "s2s_refused", "", "s2s connections refused by the cluster policy", { "direction" });

-- Returns ok, reason.
local function is_cluster_peer(host)
	if not host then return false, "no-host"; end
	for id, h in pairs(members.hosts or {}) do
		if h == host and id ~= members.me then return true, "member"; end
	end
	return false, "not-a-member";
end

-- Returns ok, reason: an s2s origin may inject only if authenticated by certificate and allow-listed.
local function may_inject(origin, from_host)
	if origin.type ~= "s2sin" then return false, "not-s2s"; end
	if origin.from_host ~= from_host then return false, "wrong-stream"; end
	if not origin.secure then return false, "not-encrypted"; end
	if origin.cert_identity_status ~= "valid" then return false, "cert-not-valid"; end
	return is_cluster_peer(from_host);
end

-- Drops xmlns attributes that only repeat the inherited namespace (the s2s parser writes them on
-- the descendants of a foreign wrapper); keeps meaningful ones (e.g. a carbon's inner message).
local function normalise(el, parent_ns)
	local ns = el.attr.xmlns or parent_ns;
	if el.attr.xmlns == parent_ns then el.attr.xmlns = nil; end
	for child in el:childtags() do normalise(child, ns); end
end

local function handle_wrapper(event)
	local origin, stanza = event.origin, event.stanza;
	local fwd = stanza:get_child("fwd", xmlns_cluster);
	if not fwd then return; end
	if stanza.attr.type == "error" then
		-- One of our forwards bounced on the cluster link (peer unreachable or gone).
		if link.fallback then link.fallback(stanza.attr.id, stanza); end
		return true;
	end
	local from_host = jid.host(stanza.attr.from);
	local inner = fwd.tags[1];
	local kind = inner and inner.name or "none";
	local ok, reason = may_inject(origin, from_host);
	if not ok then
		module:log("warn", "Refused a cluster forward from %s: %s", tostring(from_host), reason);
		m_received:with_labels(kind, reason):add(1);
		return true;
	end
	if not inner or (kind ~= "message" and kind ~= "presence" and kind ~= "iq") then
		m_received:with_labels(kind, "bad-payload"):add(1);
		return true;
	end
	local sent_at = tonumber(fwd.attr.ts);
	if sent_at then m_hop(math.max(0, time.now() - sent_at)); end
	inner.attr.xmlns = nil;
	for child in inner:childtags() do normalise(child, xmlns_client); end
	inner = st.clone(inner); -- detach from the wrapper
	link.injected[inner] = true;
	m_received:with_labels(kind, "injected"):add(1);
	prosody.core_post_stanza(prosody.hosts[user_domain], inner);
	return true;
end
-- Priority 10: before mod_message's default handling of stanzas addressed to this host.
module:hook("message/host", handle_wrapper, 10);

-- s2s policy: cluster members only, both directions.
local function check_established(event)
	local session = event.session or event.origin;
	local peer = session.from_host or session.to_host;
	if session.direction == "outgoing" or session.type == "s2sout" then peer = session.to_host; end
	local ok, reason = is_cluster_peer(peer);
	if not ok then
		m_refused:with_labels(session.type or "unknown"):add(1);
		module:log("warn", "Closing s2s with %s: %s", tostring(peer), reason);
		session:close({ condition = "policy-violation", text = "Cluster members only" });
		return true;
	end
end
module:hook("s2sin-established", check_established);
module:hook("s2sout-established", check_established);

local function check_route(event)
	local ok, reason = is_cluster_peer(event.to_host);
	if not ok then
		m_refused:with_labels("route"):add(1);
		module:log("debug", "Not routing to %s: %s", tostring(event.to_host), reason);
		return false; -- unrouted: core_route_stanza bounces with not-allowed
	end
end
-- Priority 100: before mod_s2s's route/remote handlers (-1, -10) so nothing connects elsewhere.
module:hook("route/remote", function (event)
	if check_route(event) == false then return false; end
end, 100);

-- Connect to <peer host>:5269 directly (the peer host is its container DNS name).
local function direct_connect(event)
	local to_host = event.session.to_host;
	event.resolver = basic_resolver.new(to_host, s2s_port, "tcp", { use_ipv4 = true; use_ipv6 = false });
end
module:hook("s2sout-pre-connect", direct_connect);
