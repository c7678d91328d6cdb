# Multi-stage image for the operator. No Docker engine runs on the development
# machines, so this is built by hack/build-image.sh where one does.

# --- build -------------------------------------------------------------------
FROM swift:6.3-noble AS build
WORKDIR /src
# Resolve dependencies in their own layer so source edits do not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
RUN swift build -c release --product coxswain --static-swift-stdlib \
 && install -D "$(swift build -c release --show-bin-path)/coxswain" /out/coxswain

# --- runtime -----------------------------------------------------------------
FROM ubuntu:noble
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libcurl4 libxml2 tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/coxswain /usr/local/bin/coxswain
# distroless-style nonroot uid; the Deployment also enforces runAsNonRoot.
USER 65532:65532
EXPOSE 15010 15014
ENTRYPOINT ["/usr/local/bin/coxswain"]
CMD ["run"]
