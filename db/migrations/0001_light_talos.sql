CREATE TABLE "archive_blobs" (
	"id" "bytea" PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"kind" text NOT NULL,
	"size" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"ciphertext" "bytea" NOT NULL,
	CONSTRAINT "archive_blobs_id_length" CHECK (octet_length("archive_blobs"."id") = 32),
	CONSTRAINT "archive_blobs_size" CHECK ("archive_blobs"."size" = octet_length("archive_blobs"."ciphertext")),
	CONSTRAINT "archive_blobs_kind" CHECK ("archive_blobs"."kind" in ('current', 'history', 'index'))
);
--> statement-breakpoint
CREATE TABLE "archive_holders" (
	"blob_id" "bytea" NOT NULL,
	"device_id" text NOT NULL,
	"receipt" "bytea" NOT NULL,
	"receipt_at" timestamp with time zone NOT NULL,
	"checked_at" timestamp with time zone,
	"check_passed" boolean,
	"status" text DEFAULT 'held' NOT NULL,
	CONSTRAINT "archive_holders_blob_id_device_id_pk" PRIMARY KEY("blob_id","device_id"),
	CONSTRAINT "archive_holders_status" CHECK ("archive_holders"."status" in ('held', 'failed', 'lost'))
);
--> statement-breakpoint
CREATE TABLE "archive_indexes" (
	"owner_id" text NOT NULL,
	"name" text NOT NULL,
	"blob_id" "bytea" NOT NULL,
	"version" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "archive_indexes_owner_id_name_pk" PRIMARY KEY("owner_id","name"),
	CONSTRAINT "archive_indexes_name" CHECK ("archive_indexes"."name" in ('conversations', 'active')),
	CONSTRAINT "archive_indexes_version" CHECK ("archive_indexes"."version" > 0)
);
--> statement-breakpoint
CREATE TABLE "archive_quotas" (
	"owner_id" text PRIMARY KEY NOT NULL,
	"used_bytes" bigint DEFAULT 0 NOT NULL,
	"used_count" bigint DEFAULT 0 NOT NULL,
	"limit_bytes" bigint,
	"limit_count" bigint,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "archive_quotas_used" CHECK ("archive_quotas"."used_bytes" >= 0 and "archive_quotas"."used_count" >= 0),
	CONSTRAINT "archive_quotas_limits" CHECK ("archive_quotas"."limit_bytes" >= 0 and "archive_quotas"."limit_count" >= 0)
);
--> statement-breakpoint
ALTER TABLE "archive_holders" ADD CONSTRAINT "archive_holders_blob" FOREIGN KEY ("blob_id") REFERENCES "public"."archive_blobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "archive_indexes" ADD CONSTRAINT "archive_indexes_blob" FOREIGN KEY ("blob_id") REFERENCES "public"."archive_blobs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "archive_blobs_owner" ON "archive_blobs" USING btree ("owner_id","id");--> statement-breakpoint
CREATE INDEX "archive_holders_device" ON "archive_holders" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "archive_indexes_blob" ON "archive_indexes" USING btree ("blob_id");