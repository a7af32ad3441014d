CREATE TABLE "address_records" (
	"device_id" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"record" "bytea" NOT NULL,
	"observed_address" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"device_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"device_index" integer NOT NULL,
	"static_public_key" "bytea" NOT NULL,
	"signing_public_key" "bytea" NOT NULL,
	"certificate" "bytea",
	"status" text DEFAULT 'active' NOT NULL,
	"added_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "devices_status" CHECK ("devices"."status" in ('active', 'revoked'))
);
--> statement-breakpoint
CREATE TABLE "friends" (
	"user_id" text PRIMARY KEY NOT NULL,
	"name" text,
	"added_at" timestamp with time zone NOT NULL,
	"relay" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_log_entries" (
	"user_id" text NOT NULL,
	"seq" integer NOT NULL,
	"entry" "bytea" NOT NULL,
	"hash" "bytea" NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "identity_log_entries_user_id_seq_pk" PRIMARY KEY("user_id","seq")
);
--> statement-breakpoint
CREATE TABLE "invites" (
	"id" text PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"secret_sealed" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by" text,
	CONSTRAINT "invites_role" CHECK ("invites"."role" in ('friend', 'device'))
);
--> statement-breakpoint
CREATE TABLE "kv" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "peers" (
	"device_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"last_address" text,
	"last_seen_at" timestamp with time zone,
	"last_connected_at" timestamp with time zone,
	"clock_offset_ms" integer,
	"round_trip_ms" integer,
	"failures" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"ciphertext" "bytea" NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "devices_user_index" ON "devices" USING btree ("user_id","device_index");--> statement-breakpoint
CREATE INDEX "devices_user" ON "devices" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_log_entries_hash" ON "identity_log_entries" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "invites_open" ON "invites" USING btree ("expires_at") WHERE "invites"."used_at" is null;