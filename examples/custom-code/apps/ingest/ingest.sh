#!/bin/sh
# Writes one batch of events to s3://$S3_BUCKET/$EVENTS_PREFIX.
#
# std/app sets S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY from the `lake` instance (an ObjectStore);
# EVENTS_PREFIX comes from the instance's `env`.
set -eu
: "${S3_ENDPOINT:?}" "${S3_BUCKET:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"
prefix="${EVENTS_PREFIX:-events/}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

mc alias set lake "$S3_ENDPOINT" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >/dev/null
# A real job would read from an upstream system; this one records the run.
printf '{"ingested_at":"%s","source":"ingest"}\n' "$stamp" \
    | mc pipe "lake/${S3_BUCKET}/${prefix}${stamp}.json"
echo "wrote s3://${S3_BUCKET}/${prefix}${stamp}.json"
