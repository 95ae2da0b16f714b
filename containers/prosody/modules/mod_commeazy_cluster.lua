-- CommEazy cluster: every stanza for a user is handled on the user's home node (DESIGN.md §3.4).
-- Copyright (C) 2026 CommEazy. MIT/X11 licence.
--
-- Loaded on the user VirtualHost. Hooks the recipient-side events message|presence|iq x
-- /bare|/full before any other handler. When the recipient's home (the home function over
-- mod_commeazy_cluster_members' live set) is another node, a clone of the stanza travels as
--   <message from='<my cluster host>' to='<its cluster host>' id='…'><fwd xmlns='urn:commeazy:cluster:0' ts='…'>STANZA</fwd></message>
-- over s2s, and the home (mod_commeazy_cluster_link) handles it as a local stanza. Stanzas the link
-- injected are never forwarded again: one hop at most. A forward that fails on the link (the peer
-- is unreachable or died before acknowledging it) is handled here as a local stanza instead:
-- the recipient is not online on this node, so the sender gets an error and a push goes out.
-- Extension point: "commeazy/cluster/forward" { stanza, home } (return true to keep it local).

local st = require "prosody.util.stanza";
local jid = require "prosody.util.jid";
local id = require "prosody.util.id";
local time = require "prosody.util.time";
local new_cache = require "prosody.util.cache".new;

local home = module:require("commeazy_cluster_home");

local xmlns_cluster = "urn:commeazy:cluster:0";

local routing_key = module:get_option_string("commeazy_cluster_routing_key");
local fallback_window = module:get_option_period("commeazy_cluster_fallback_window", 60);
local pending_size = module:get_option_integer("commeazy_cluster_pending_size", 10000, 100);

assert(routing_key, "commeazy_cluster_routing_key is required");

module:depends("commeazy_cluster_members");
local members = module:shared("/*/commeazy_cluster_members/state");
-- Shared with mod_commeazy_cluster_link: injected (weak set of stanzas), fallback (function).
local link = module:shared("/*/commeazy_cluster/link");
link.injected = link.injected or setmetatable({}, { __mode = "k" });
local injected = link.injected;

local m_forwarded = module:metric("counter", "forwarded", "", "Stanzas forwarded to their home node, by outcome", { "kind", "outcome" });

-- Forwards whose failure we could still be told about: wrapper id -> { stanza, at }. Bounded:
-- the oldest fall out first (their fallback window is long over at any sane rate).
local pending = new_cache(pending_size);
local keys = new_cache(10000); -- bare JID -> user key (an HMAC per stanza would be wasted work)

local function user_key(bare)
	local u = keys:get(bare);
	if not u then u = home.user_key(routing_key, bare); keys:set(bare, u); end
	return u;
end

-- The home node id of a bare JID of this host; nil when there are no live members.
local function home_of(bare)
	return home.home_of(user_key(bare), members.live);
end

-- Returns should_forward, reason, home id, home's cluster host.
local function should_forward(stanza)
	if injected[stanza] then return false, "injected"; end
	local to = stanza.attr.to;
	if not to then return false, "to-self"; end -- the sender's own account: it is at home (see _sessions)
	local node, host = jid.split(to);
	if not node or host ~= module.host then return false, "not-a-user"; end
	local h = home_of(node .. "@" .. host);
	if not h then return false, "no-members"; end
	if h == members.me then return false, "at-home"; end
	local peer_host = members.hosts[h];
	if not peer_host then return false, "no-peer-host"; end
	return true, "remote", h, peer_host;
end

local function forward(event)
	local stanza = event.stanza;
	local ok, reason, h, peer_host = should_forward(stanza);
	if not ok then
		module:log("debug", "Handling %s locally: %s", stanza.name, reason);
		return;
	end
	if module:fire_event("commeazy/cluster/forward", { stanza = stanza, home = h }) then return; end
	local wid = id.medium();
	local inner = st.clone(stanza);
	inner.attr.xmlns = "jabber:client";
	local wrapper = st.message({ from = members.my_host, to = peer_host, id = wid })
		:tag("fwd", { xmlns = xmlns_cluster, ts = ("%.6f"):format(time.now()) })
			:add_child(inner)
		:up();
	pending:set(wid, { stanza = stanza, at = time.now() });
	m_forwarded:with_labels(stanza.name, "sent"):add(1);
	prosody.core_route_stanza(prosody.hosts[members.my_host], wrapper);
	return true;
end

-- Priority 1000: before every recipient-side handler (privacy lists 500, blocklist 100, pep 10,
-- presence 0, carbons -0.5, message -1), so only the home node processes a user's stanzas.
for _, kind in ipairs({ "message", "presence", "iq" }) do
	module:hook(kind .. "/bare", forward, 1000);
	module:hook(kind .. "/full", forward, 1000);
end

-- Handles a stanza whose forward failed as a local one. `wid` names a pending forward (an error
-- bounce of the wrapper); `stanza` is given when the link still holds the original (an
-- unacknowledged wrapper of a dead link). Returns ok, reason.
function link.fallback(wid, stanza)
	local p = wid and pending:get(wid);
	if p then pending:set(wid, nil); end
	if not stanza then
		if not p then return false, "unknown-forward"; end
		if time.now() - p.at > fallback_window then return false, "too-old"; end
		stanza = p.stanza;
	end
	m_forwarded:with_labels(stanza.name, "fell-back"):add(1);
	module:log("debug", "A forwarded %s failed on the cluster link: handling it here", stanza.name);
	injected[stanza] = true;
	prosody.core_post_stanza(prosody.hosts[module.host], stanza);
	return true, "handled";
end

-- For mod_commeazy_cluster_sessions and mod_commeazy_cluster_admin.
local api = module:shared("api");
api.home_of, api.user_key = home_of, user_key;
