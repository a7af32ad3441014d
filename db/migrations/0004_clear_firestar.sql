CREATE TABLE "relay_lists" (
	"user_id" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"record" "bytea" NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
