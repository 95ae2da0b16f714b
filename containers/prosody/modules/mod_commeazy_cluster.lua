-- CommEazy cluster: forward every stanza for a user to the user's home node (DESIGN.md §3.4).
-- Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- Loaded on the user VirtualHost. Hooks the recipient-side events message|presence|iq x
-- /bare|/full before any other handler; when the recipient's home (mod_commeazy_cluster_members'
-- live set, commeazy_cluster_home's function) is another node, a clone of the stanza travels in
-- <message><fwd xmlns='urn:commeazy:cluster:0' ts='…'/></message> from this node's cluster host
-- to the home's over s2s, and the home (mod_commeazy_cluster_link) handles it as local. Stanzas
-- injected by the link are never forwarded again (one hop). A forward that bounces on the link
-- is handled locally instead (bounce to the sender, push): the original is kept for
-- `commeazy_cluster_fallback_window`.
-- Extension point: "commeazy/cluster/forward" { stanza, home } (return true to keep it local).

local st = require "prosody.util.stanza";
local jid = require "prosody.util.jid";
local id = require "prosody.util.id";
local time = require "prosody.util.time";
local new_cache = require "prosody.util.cache".new;

local home = module:require("commeazy_cluster_home");

local xmlns_cluster = "urn:commeazy:cluster:0";

local routing_key = module:get_option_string("commeazy_cluster_routing_key");
local fallback_window = module:get_option_period("commeazy_cluster_fallback_window", 30);
local pending_size = module:get_option_integer("commeazy_cluster_pending_size", 10000, 100);

assert(routing_key, "commeazy_cluster_routing_key is required");

module:depends("commeazy_cluster_members");
local members = module:shared("/*/commeazy_cluster_members/state");
local link = module:shared("/*/commeazy_cluster/link");
link.injected = link.injected or setmetatable({}, { __mode = "k" });
local injected = link.injected;

local m_forwarded = module:metric("counter", "forwarded", "", "Stanzas forwarded to their home node", { "kind", "outcome" });

-- Forwards awaiting no bounce: wrapper id -> { stanza = original, at = time }.
local pending = new_cache(pending_size);
local keys = new_cache(10000); -- bare JID -> user key

local function user_key(bare)
	local u = keys:get(bare);
	if not u then u = home.user_key(routing_key, bare); keys:set(bare, u); end
	return u;
end

-- Returns the home node id of a bare JID (nil: no live members, handle locally).
local function home_of(bare)
	return home.home_of(user_key(bare), members.live or {});
end

-- Returns should_forward, reason, home.
local function should_forward(stanza)
	if injected[stanza] then return false, "injected"; end
	local to = stanza.attr.to;
	if not to then return false, "to-self"; end
	local node, host = jid.split(to);
	if not node or host ~= module.host then return false, "not-a-user"; end
	local h = home_of(node .. "@" .. host);
	if not h then return false, "no-members"; end
	if h == members.me then return false, "local"; end
	local peer_host = members.hosts and members.hosts[h];
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
	local wid = id.short();
	local inner = st.clone(stanza);
	inner.attr.xmlns = "jabber:client";
	local wrapper = st.message({ from = members.my_host, to = peer_host, id = wid, type = "normal" })
		:tag("fwd", { xmlns = xmlns_cluster, ts = ("%.6f"):format(time.now()) })
			:add_child(inner)
		:up();
	pending:set(wid, { stanza = stanza, at = time.now() });
	prosody.core_route_stanza(prosody.hosts[members.my_host], wrapper);
	m_forwarded:with_labels(stanza.name, "sent"):add(1);
	return true;
end

-- Called by mod_commeazy_cluster_link when a wrapper of ours comes back as an error.
function link.fallback(wid, _)
	local p = wid and pending:get(wid);
	if not p then return; end
	pending:set(wid, nil);
	if time.now() - p.at > fallback_window then return; end
	local stanza = p.stanza;
	module:log("info", "A forwarded %s bounced on the cluster link: handling it locally", stanza.name);
	m_forwarded:with_labels(stanza.name, "bounced"):add(1);
	injected[stanza] = true;
	prosody.core_post_stanza(prosody.hosts[module.host], stanza);
end

-- Priority 1000: before every recipient-side handler (privacy 500, blocklist 100, pep 10,
-- presence 0, carbons -0.5, message -1), so only the home node processes a user's stanzas.
for _, kind in ipairs({ "message", "presence", "iq" }) do
	module:hook(kind .. "/bare", forward, 1000);
	module:hook(kind .. "/full", forward, 1000);
end

module:shared("api").home_of = home_of;
module:shared("api").user_key = user_key;
