// A citizen's app, written against the client that openapi-typescript generates from
// the served document (./schema.d.ts) and openapi-fetch: sign in with the SMS code,
// list bulletins and the districts, file a report in one, read it back. tests/test_contract_tools.py generates
// the schema, type-checks this file with `tsc --strict` and runs it against `chalice
// local`. Every call below is typed by the document: a path, parameter or body field
// the document does not describe, or describes with another type, fails the build.

import createClient from "openapi-fetch";
import { API, DISTRICT, PHONE, SINK_AUTHORIZATION, SINK_MESSAGES } from "./config.js";
import type { paths } from "./schema.js";

const api = createClient<paths>({ baseUrl: API });

function fail(step: string, status: number, body: unknown): never {
  throw new Error(`${step}: HTTP ${status} ${JSON.stringify(body)}`);
}

async function smsCode(phone: string): Promise<string> {
  // The SMS sink is Twilio's API, not ours: read with plain fetch, as Twilio's would be.
  const answer = await fetch(`${SINK_MESSAGES}?To=${encodeURIComponent(phone)}`,
                             { headers: { Authorization: SINK_AUTHORIZATION } });
  const listing = (await answer.json()) as { messages: { body: string }[] };
  const code = /\b(\d{6})\b/.exec(listing.messages[0]?.body ?? "")?.[1];
  if (code === undefined) throw new Error(`no code reached ${phone}`);
  return code;
}

const asked = await api.POST("/auth/otp", { body: { phone: PHONE } });
if (asked.response.status !== 202) fail("POST /auth/otp", asked.response.status, asked.error);

const session = await api.POST("/auth/verify",
                               { body: { phone: PHONE, code: await smsCode(PHONE) } });
if (session.data === undefined) fail("POST /auth/verify", session.response.status, session.error);
const signedIn = { headers: { Authorization: `Bearer ${session.data.access_token}` } };

const bulletins = await api.GET("/bulletins", {
  params: { query: { district: DISTRICT, limit: 5 } },
});
if (bulletins.data === undefined) fail("GET /bulletins", bulletins.response.status, bulletins.error);
const listed: string[] = bulletins.data.items.map((bulletin) => bulletin.id);

const districts = await api.GET("/districts");
if (districts.data === undefined) fail("GET /districts", districts.response.status, districts.error);
const district = districts.data.districts.find((name) => name === DISTRICT);

const filed = await api.POST("/reports", {
  ...signedIn,
  body: {
    category: "theft",
    description: "Someone cut the lock and took my bicycle outside the metro.",
    location: { latitude: 39.9219, longitude: 116.4436, accuracy_m: 12.5,
                address: "Chaoyang Park South Gate" },
    occurred_at: new Date(Date.now() - 3600_000).toISOString(),
    bulletin_id: listed[0] ?? null,
    district: district ?? null,
  },
});
if (filed.data === undefined) fail("POST /reports", filed.response.status, filed.error);

const read = await api.GET("/reports/{report_id}", {
  ...signedIn,
  params: { path: { report_id: filed.data.report_id } },
});
if (read.data === undefined) fail("GET /reports/{report_id}", read.response.status, read.error);

console.log(JSON.stringify({
  user_id: session.data.user.id,
  listed,
  district,
  filed: filed.data.report_id,
  read: { report_id: read.data.report_id, status: read.data.status,
          description: read.data.description, bulletin_id: read.data.bulletin_id },
}));
