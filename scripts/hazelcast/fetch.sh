#!/bin/sh
# Fetch the Hazelcast member jar that the adapters/hazelcast tests start, and
# print its path. Running it again when the jar is present only prints the
# path. Needs Maven and access to Maven Central on the first run.
#
# The version is pinned to match hazelcastmember.Version. Hazelcast 5.5
# requires Java 17 or later.
set -eu

version=5.5.0
# Maven's default local repository. The Go helper looks in the same place.
repository="$HOME/.m2/repository"
jar="$repository/com/hazelcast/hazelcast/$version/hazelcast-$version.jar"

if [ ! -f "$jar" ]; then
	mvn -q dependency:get -Dartifact="com.hazelcast:hazelcast:$version" -Dtransitive=false >&2
fi

if [ ! -f "$jar" ]; then
	echo "fetch.sh: hazelcast $version jar missing after mvn dependency:get: $jar" >&2
	exit 1
fi

echo "$jar"
