-- CommEazy cluster: home function self-test as an admin shell command.
-- Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- `prosodyctl shell commeazy selftest` (or `commeazy:selftest()` inside `prosodyctl shell`) runs
-- the module's own user-key and home functions over testdata/home-vectors.json inside the running
-- Prosody and reports "N/N cases passed" (ok) or the first failing case (error). Loaded on every
-- node, clustered or not: it changes nothing else.

module:set_global();

local json = require "prosody.util.json";
local home = module:require("commeazy_cluster_home");

local vectors_path = module:get_option_string("commeazy_cluster_vectors",
	module:get_directory() .. "/testdata/home-vectors.json");

local function load_vectors()
	local f, err = io.open(vectors_path, "r");
	if not f then return nil, "cannot open vectors: " .. tostring(err); end
	local text = f:read("*a"); f:close();
	local data = json.decode(text);
	if type(data) ~= "table" or type(data.cases) ~= "table" then return nil, "vectors: bad JSON"; end
	return data;
end

-- Returns ok, message: ok when every case matches.
local function selftest()
	local data, err = load_vectors();
	if not data then return false, err; end
	local passed, total = 0, #data.cases;
	for i, case in ipairs(data.cases) do
		local u = home.user_key(data.routingKey, case.jid);
		local members = {};
		for _, m in ipairs(case.members or {}) do members[#members + 1] = m; end
		local got = home.home_of(u, members);
		local want = case.home;
		if want == json.null then want = nil; end
		if u ~= case.u then
			return false, ("case %d (%s): u = %s, want %s"):format(i, case.jid, u, case.u);
		elseif got ~= want then
			return false, ("case %d (%s, %d members): home = %s, want %s"):format(i, case.jid, #members,
				tostring(got), tostring(want));
		end
		passed = passed + 1;
	end
	return true, ("%d/%d cases passed"):format(passed, total);
end

module:add_item("shell-command", {
	section = "commeazy";
	section_desc = "CommEazy cluster";
	name = "selftest";
	desc = "Check the home function against the shared test vectors";
	args = {};
	handler = function(self) --luacheck: ignore 212/self
		return selftest();
	end;
});
