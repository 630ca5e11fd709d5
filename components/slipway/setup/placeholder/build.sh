#!/usr/bin/env bash
# Build Slipway's placeholder image and push it to ECR, in a CodeBuild build of bootstrap/'s
# placeholder project (privileged mode: Docker). The buildspec (slipway.setup.placeholder)
# unpacks this file, placeholder.c and the Dockerfile next to each other and sets:
#   REPOSITORY_URI  the placeholder repository (a project environment variable)
#   IMAGE_TAG       placeholder-<hash of these sources>-<amd64|arm64> (ECR tags are immutable)
# A tag that exists already is left alone: the same sources give the same image.
set -euo pipefail

: "${REPOSITORY_URI:?REPOSITORY_URI is not set}"
: "${IMAGE_TAG:?IMAGE_TAG is not set}"
here=$(cd "$(dirname "$0")" && pwd)
registry=${REPOSITORY_URI%%/*}
repository=${REPOSITORY_URI#*/}

if aws ecr describe-images --repository-name "$repository" \
  --image-ids "imageTag=$IMAGE_TAG" >/dev/null 2>&1; then
  echo "$REPOSITORY_URI:$IMAGE_TAG exists already"
  exit 0
fi

# The managed Amazon Linux 2023 images hold gcc ("Development tools") but not the static C
# library (aws/aws-codebuild-docker-images, al/*/standard/*/Dockerfile).
if ! rpm -q glibc-static >/dev/null 2>&1; then
  dnf install -y -q glibc-static
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -static -Os -s -Wall -Wextra -Werror -o "$work/placeholder" "$here/placeholder.c"
cp "$here/Dockerfile" "$work/Dockerfile"
docker build --tag "$REPOSITORY_URI:$IMAGE_TAG" "$work"

aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"
docker push "$REPOSITORY_URI:$IMAGE_TAG"
