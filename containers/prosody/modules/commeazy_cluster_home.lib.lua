-- CommEazy cluster: the user key and the home function (DESIGN.md §3.2).
-- Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- Pure functions, shared by the cluster modules (module:require "commeazy_cluster_home") and
-- identical to the Edge's C# implementation (test vectors: testdata/home-vectors.json).
--   u     = lowercase hex of the first 16 bytes of HMAC-SHA-256(routing key, bare JID)
--   score = first 8 bytes of SHA-256(member .. "\n" .. u), unsigned big-endian 64-bit
--   home  = the member with the greatest score; ties to the ordinally greater id; none -> nil

local hashes = require "prosody.util.hashes";
local hex = require "prosody.util.hex";

local s_unpack, math_ult = string.unpack, math.ult;

local function user_key(routing_key, bare_jid)
	return hex.encode(hashes.hmac_sha256(routing_key, bare_jid):sub(1, 16));
end

-- A Lua 5.4 integer holding the unsigned 64-bit score (compare with math.ult).
local function score(member, u)
	return (s_unpack(">i8", hashes.sha256(member .. "\n" .. u)));
end

-- members: an array of member ids. Returns the home member id, or nil when there is none.
local function home_of(u, members)
	local best, best_score;
	for _, m in ipairs(members) do
		local s = score(m, u);
		if best == nil or math_ult(best_score, s) or (s == best_score and m > best) then
			best, best_score = m, s;
		end
	end
	return best;
end

return { user_key = user_key; score = score; home_of = home_of };
