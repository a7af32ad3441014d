CREATE TABLE "device_prekeys" (
	"public_key" "bytea" PRIMARY KEY NOT NULL,
	"private_sealed" "bytea" NOT NULL,
	"signed" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"erase_bucket" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "peer_prekeys" (
	"device_id" text PRIMARY KEY NOT NULL,
	"public_key" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "epoch_keys" ADD COLUMN "erase_bucket" integer;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "body_sealed" "bytea";