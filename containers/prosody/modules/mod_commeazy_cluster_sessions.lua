-- CommEazy cluster: who is online where, moving clients to their home, membership changes
-- (DESIGN.md §3.3–3.5). Copyright (C) 2026 CommEazy. MIT/X11 licence.
--
-- Loaded on the user VirtualHost.
--  * A client that authenticates on a node that is not its home is moved before it binds:
--    RFC 7395 <close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='<public URL>?u=<u>'/>
--    (a plain c2s stream gets a see-other-host stream error instead).
--  * Every bound resource has a row in commeazy_cluster_sessions (bind inserts, unbind deletes).
--  * On a membership change: forget cached state of other users (roster cache, PEP services,
--    blocklists: any node may have changed them meanwhile) and move the sessions of users this
--    node no longer owns. For each node that died with session rows, the survivor that is now
--    home of each of those users announces `unavailable` for them to their contacts and deletes
--    the rows, a few users per tick so that a large node's death does not stall this one.
-- Extension points: "commeazy/cluster/move" { session, uri } (return true to keep the session),
-- "commeazy/cluster/ghost" { bare_jid, full_jid } (before a dead node's resource is announced gone).

local st = require "prosody.util.stanza";
local jid = require "prosody.util.jid";
local rostermanager = require "prosody.core.rostermanager";
local sessionmanager = require "prosody.core.sessionmanager";
local modulemanager = require "prosody.core.modulemanager";

local xmlns_framing = "urn:ietf:params:xml:ns:xmpp-framing";

local public_ws_url = module:get_option_string("commeazy_cluster_public_websocket_url");
local ghosts_per_tick = module:get_option_integer("commeazy_cluster_ghosts_per_tick", 50, 1);

module:depends("commeazy_cluster");
local members = module:shared("/*/commeazy_cluster_members/state");
local api = module:shared("/" .. module.host .. "/commeazy_cluster/api");
local host = prosody.hosts[module.host];

local m_moves = module:metric("counter", "moves", "", "Client sessions moved to their home node", { "reason" });
local m_ownership = module:metric("counter", "ownership_changes", "", "Users whose sessions moved away on a membership change"):with_labels();
local m_ghosts = module:metric("counter", "ghosts_cleared", "", "Resources of dead nodes announced unavailable"):with_labels();
local m_db_failures = module:metric("counter", "presence_record_failures", "", "Failed writes of the online-where records"):with_labels();

local function db_run(sql_text, ...)
	local db = members.db;
	local args = table.pack(...);
	local ok, err = db:transaction(function () assert(db:execute(sql_text, table.unpack(args, 1, args.n))); end);
	if not ok then m_db_failures:add(1); module:log("warn", "Cluster session record: %s", tostring(err)); end
	return ok, err;
end

local function is_home(username)
	local h = api.home_of(username .. "@" .. module.host);
	return h == nil or h == members.me; -- no live members (fenced): serve whoever arrives
end

-- The WebSocket URL that reaches a user's home through the Edge; nil without a public URL.
local function see_other_uri(username)
	if not public_ws_url then return nil; end
	local sep = public_ws_url:find("?", 1, true) and "&" or "?";
	return public_ws_url .. sep .. "u=" .. api.user_key(username .. "@" .. module.host);
end

-- Sends a session to its home. Returns ok, reason.
local function move_session(session, reason)
	if session.destroyed then return false, "gone"; end
	local uri = see_other_uri(session.username);
	if module:fire_event("commeazy/cluster/move", { session = session, uri = uri }) then return false, "vetoed"; end
	m_moves:with_labels(reason):add(1);
	session.log("info", "Moving the session to its home node (%s)", reason);
	if not session.conn then -- hibernating (smacks): nothing to tell, just end it here
		sessionmanager.destroy_session(session, "Moved to its home node");
	elseif session.websocket_request and uri then
		session.send(st.stanza("close", { xmlns = xmlns_framing, ["see-other-uri"] = uri }));
		session.send = function () return false; end -- mod_websocket's own <close/> and stream error must not follow
		-- With a reason the session ends now. Without one mod_websocket waits c2s_close_timeout (5 s) for the app's
		-- <close/>, which xmpp.js never sends, and messages to the user bounce all that time.
		session:close({ condition = "see-other-host", text = "Moved to its home node" });
	else
		session:close({ condition = "see-other-host", text = "This node is not your home: reconnect" });
	end
	return true, reason;
end

-- After authentication, before bind: a user who is not at home is sent home.
module:hook("stream-features", function (event)
	local session = event.origin;
	if session.username and not session.full_jid and not is_home(session.username) then
		move_session(session, "not-home");
		-- Never sent (the session is closing); keeps mod_c2s from warning about empty features.
		event.features:tag("moved", { xmlns = "urn:commeazy:cluster:0" }):up();
		return true;
	end
end, 1000);

module:hook("resource-bind", function (event)
	local session = event.session;
	db_run([[INSERT INTO commeazy_cluster_sessions (node_id, bare_jid, full_jid) VALUES (?, ?, ?)
		ON CONFLICT (full_jid) DO UPDATE SET node_id = EXCLUDED.node_id, since = now()]],
		members.me, session.username .. "@" .. module.host, session.full_jid);
end);

module:hook("resource-unbind", function (event)
	local session = event.session;
	if session.full_jid then
		db_run("DELETE FROM commeazy_cluster_sessions WHERE full_jid = ? AND node_id = ?", session.full_jid, members.me);
	end
end);

-- mod_pep keeps its services in a module-private cache; the function that fills it holds it as an
-- upvalue (Prosody 13.0). Returns the cache's table view, or nil when mod_pep changed shape.
local function pep_services()
	local pep = modulemanager.get_module(module.host, "pep");
	local fn = pep and rawget(pep, "get_pep_service"); -- a global of mod_pep's environment
	for i = 1, 64 do
		local name, value = debug.getupvalue(fn or print, i);
		if name == nil then break; end
		if name == "services" then return value; end
	end
end

-- Forgets every cached copy of other users' state: any node may have changed it meanwhile.
local function flush_caches()
	if host.roster_cache then host.roster_cache:clear(); end
	local services = pep_services();
	if services then
		local names = {};
		for username in pairs(services) do
			local user = host.sessions[username];
			if not (user and is_home(username)) then names[#names + 1] = username; end
		end
		for _, username in ipairs(names) do services[username] = nil; end
	else
		module:log("warn", "Cannot reach mod_pep's service cache: PEP state of moved users may be stale");
	end
	if modulemanager.is_loaded(module.host, "blocklist") then
		modulemanager.reload(module.host, "blocklist"); -- its only state is its cache
	end
end

-- Tells the contacts of a dead node's user that its resource went offline.
local function announce_gone(bare, full_jid)
	module:fire_event("commeazy/cluster/ghost", { bare_jid = bare, full_jid = full_jid });
	local roster = rostermanager.load_roster(jid.node(bare), module.host);
	for contact, item in pairs(roster or {}) do
		if contact and (item.subscription == "from" or item.subscription == "both") then
			prosody.core_post_stanza(host, st.presence({ from = full_jid, to = contact, type = "unavailable" }));
		end
	end
	m_ghosts:add(1);
end

local clearing = {}; -- dead node id -> true while its rows are being worked through

-- Works through a dead node's rows, `ghosts_per_tick` at a time.
local function clear_dead(node)
	if clearing[node] then return; end
	local rows = {};
	local db = members.db;
	local ok = db:transaction(function ()
		for row in db:select("SELECT bare_jid, full_jid FROM commeazy_cluster_sessions WHERE node_id = ?", node) do
			rows[#rows + 1] = { row[1], row[2] };
		end
	end);
	if not ok or #rows == 0 then return; end
	clearing[node] = true;
	local i, announced = 1, 0;
	module:add_timer(0, function ()
		for _ = 1, ghosts_per_tick do
			local r = rows[i];
			if not r then
				clearing[node] = nil;
				if announced > 0 then
					module:log("info", "Node %s is gone: announced %d of its resources unavailable", node, announced);
				end
				return;
			end
			i = i + 1;
			local bare, full = r[1], r[2];
			if jid.host(bare) == module.host and is_home(jid.node(bare)) then
				local deleted = db_run("DELETE FROM commeazy_cluster_sessions WHERE full_jid = ? AND node_id = ?", full, node);
				if deleted then announce_gone(bare, full); announced = announced + 1; end
			end
		end
		return 0.01;
	end);
end

local function on_members_changed(event)
	if event.changed then
		local moved = 0;
		for username, user in pairs(host.sessions) do
			if not is_home(username) then
				for _, session in pairs(user.sessions) do
					if move_session(session, "membership-change") then moved = moved + 1; end
				end
				m_ownership:add(1);
			end
		end
		flush_caches();
		module:log("info", "Membership changed: moved %d sessions, flushed caches", moved);
	end
	for _, node in ipairs(event.dead) do clear_dead(node); end
end
module:hook_global("commeazy/cluster/members-changed", on_members_changed);
