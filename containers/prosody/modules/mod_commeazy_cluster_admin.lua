-- CommEazy cluster: an HTTP endpoint for operators and the Edge to see and drain this node.
-- Copyright (C) 2026 CommEazy. MIT/X11 licence.
--
-- Loaded on the user VirtualHost; served on Prosody's HTTP port, which only the cluster network
-- reaches (the Edge proxies /xmpp-websocket and nothing else). Every request needs
--   Authorization: Bearer <commeazy_cluster_admin_secret>
--   GET  /cluster          {"node":"prosody-1","state":"live","live":["prosody-1",…]}
--   POST /cluster/drain    leave the live membership; clients move to their new homes
--   POST /cluster/undrain  rejoin it
--   DELETE /cluster/accounts/<localpart>
--                          erasure (the AuthBridge's DELETE /v1/account): on the user's home, Prosody deletes
--                          the account as its own admin tools do, so its sessions end ("Account deleted"), its
--                          contacts are unsubscribed and its data purged; elsewhere it ends any session the
--                          user has here and answers 409 with the home's id.
-- Drain and undrain are also `prosodyctl shell commeazy drain|undrain|members`.

local json = require "prosody.util.json";
local hashes = require "prosody.util.hashes";
local nodeprep = require "prosody.util.encodings".stringprep.nodeprep;
local usermanager = require "prosody.core.usermanager";
local http = require "prosody.net.http";

local admin_secret = module:get_option_string("commeazy_cluster_admin_secret");
assert(admin_secret and #admin_secret >= 16, "commeazy_cluster_admin_secret (16+ characters) is required");

module:depends("http");
local members = module:shared("/*/commeazy_cluster_members/state");
local api = module:shared("/" .. module.host .. "/commeazy_cluster/api");

local m_requests = module:metric("counter", "admin_requests", "", "Cluster admin requests, by outcome", { "outcome" });

local function reply(response, code, body)
	response.status_code = code;
	response.headers.content_type = "application/json";
	response.headers.cache_control = "no-store";
	return json.encode(body);
end

-- Returns ok, reason.
local function authorised(request)
	local header = request.headers.authorization;
	local token = header and header:match("^Bearer (.+)$");
	if not token then return false, "no-token"; end
	if not hashes.equals(token, admin_secret) then return false, "wrong-token"; end
	return true, "ok";
end

local function view()
	return { node = members.me; state = members.draining and "draining" or "live"; live = members.live };
end

local function guarded(handler)
	return function (event, ...)
		local ok, reason = authorised(event.request);
		if not ok then
			m_requests:with_labels(reason):add(1);
			event.response.headers.www_authenticate = 'Bearer realm="commeazy-cluster"';
			return reply(event.response, 401, { error = "unauthorized";
				detail = "send Authorization: Bearer <the cluster admin secret>" });
		end
		m_requests:with_labels("ok"):add(1);
		return handler(event, ...);
	end
end

local function set_state(draining)
	return guarded(function (event)
		local ok, message = members.set_draining(draining);
		module:log("info", "Admin request over HTTP: %s", message);
		if not ok then return reply(event.response, 503, { error = "unavailable"; detail = message }); end
		return reply(event.response, 200, view());
	end);
end

-- Ends every session of `username` on this node. Returns how many.
local function end_sessions(username, reason)
	local user = prosody.hosts[module.host].sessions[username];
	local n = 0;
	for _, session in pairs(user and user.sessions or {}) do
		session:close({ condition = "not-authorized", text = reason });
		n = n + 1;
	end
	return n;
end

local function delete_account(event, path)
	local username = nodeprep(http.urldecode(path or ""));
	if not username or username == "" or username:find("/", 1, true) then
		return reply(event.response, 400, { error = "bad-request"; detail = "the path must end in a valid localpart" });
	end
	local home = api.home_of(username .. "@" .. module.host);
	if home and home ~= members.me then
		end_sessions(username, "Account deleted");
		return reply(event.response, 409, { error = "not-home"; home = home; detail = "delete the account on its home node" });
	end
	if not usermanager.user_exists(username, module.host) then
		return reply(event.response, 200, { deleted = false });
	end
	local ok, err = usermanager.delete_user(username, module.host);
	if not ok then
		module:log("warn", "Account deletion failed: %s", tostring(err));
		return reply(event.response, 503, { error = "unavailable"; detail = "the account could not be deleted: " .. tostring(err) });
	end
	module:log("info", "Account deleted on request of the cluster admin endpoint");
	return reply(event.response, 200, { deleted = true });
end

module:provides("http", {
	name = "cluster";
	default_path = "/cluster";
	route = {
		["GET"] = guarded(function (event) return reply(event.response, 200, view()); end);
		["POST /drain"] = set_state(true);
		["POST /undrain"] = set_state(false);
		["DELETE /accounts/*"] = guarded(delete_account);
	};
});
