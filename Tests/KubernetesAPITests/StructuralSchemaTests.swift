import Foundation
import KubernetesAPI
import Testing

/// A schema from YAML text, as it would appear under `openAPIV3Schema`.
private func schema(_ yaml: String) throws -> StructuralSchema {
    let documents = try YAMLDocuments.parse(yaml)
    return try StructuralSchema(try #require(documents.first))
}

private func value(_ yaml: String) throws -> JSONValue {
    try #require(try YAMLDocuments.parse(yaml).first)
}

private let routeSchemaYAML = """
    type: object
    properties:
      spec:
        type: object
        required: [host]
        properties:
          host: {type: string, minLength: 1}
          mode: {type: string, enum: [SIMPLE, MUTUAL]}
          weight: {type: integer, minimum: 0, maximum: 100}
          ratio: {type: number, minimum: 0, maximum: 1, exclusiveMaximum: true}
          timeout: {type: string, pattern: '^[0-9]+(ms|s)$'}
          tags: {type: array, items: {type: string}, minItems: 1, maxItems: 2}
          name: {type: string, maxLength: 5}
          labels: {type: object, additionalProperties: {type: string}}
          when: {type: string, format: date-time}
          body: {type: string, format: byte}
          enabled: {type: boolean, nullable: true}
          port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
    """

@Suite struct SchemaValidationTests {
    @Test func wrongTypeReadsLikeKubeAPIServer() throws {
        let root = try schema(routeSchemaYAML)
        let violations = root.validate(try value("spec: {host: a, weight: ninety}"))
        #expect(violations.map(\.description) == [
            #"spec.weight: Invalid value: "string": spec.weight in body must be of type integer: "string""#,
        ])
        #expect(violations.first?.field == "spec.weight")
        #expect(violations.first?.kind == .invalid)
    }

    @Test func validObjectHasNoViolations() throws {
        let root = try schema(routeSchemaYAML)
        let object = try value("""
            spec:
              host: reviews
              mode: SIMPLE
              weight: 100
              ratio: 0.5
              timeout: 250ms
              tags: [a, b]
              name: abcde
              labels: {app: reviews}
              when: 2026-11-22T22:37:01.123Z
              body: aGVsbG8=
              enabled: null
              port: http
            """)
        #expect(root.validate(object).isEmpty)
        #expect(root.accepts(object))
        #expect(root.accepts(try value("spec: {host: a, port: 8080, weight: 5.0}")))
    }

    @Test func valueConstraintsAreEnforcedWithPaths() throws {
        let root = try schema(routeSchemaYAML)
        let object = try value("""
            spec:
              mode: OPTIONAL
              weight: 101
              ratio: 1
              timeout: soon
              tags: [a, b, c]
              name: toolong
              labels: {app: 7}
              when: yesterday
              body: '%%%'
              enabled: 'yes'
              port: true
            """)
        let messages = Set(root.validate(object).map(\.description))
        let expected: Set<String> = [
            "spec.host: Required value",
            #"spec.mode: Unsupported value: "OPTIONAL": supported values: "SIMPLE", "MUTUAL""#,
            "spec.weight: Invalid value: 101: spec.weight in body should be less than or equal to 100",
            "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1",
            #"spec.timeout: Invalid value: "soon": spec.timeout in body should match '^[0-9]+(ms|s)$'"#,
            "spec.tags: Too many: 3: must have at most 2 items",
            "spec.name: Too long: may not be longer than 5",
            #"spec.labels.app: Invalid value: "integer": spec.labels.app in body must be of type string: "integer""#,
            #"spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday""#,
            #"spec.body: Invalid value: "%%%": spec.body in body must be of type byte: "%%%""#,
            #"spec.enabled: Invalid value: "string": spec.enabled in body must be of type boolean: "string""#,
            #"spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean""#,
        ]
        #expect(messages == expected)
    }

    @Test func lowerBoundsAndNulls() throws {
        let root = try schema(routeSchemaYAML)
        let messages = Set(root.validate(try value("spec: {host: '', weight: -1, tags: [], mode: null}")).map(\.description))
        #expect(messages == [
            #"spec.host: Invalid value: "": spec.host in body should be at least 1 chars long"#,
            "spec.weight: Invalid value: -1: spec.weight in body should be greater than or equal to 0",
            "spec.tags: Invalid value: []: spec.tags in body should have at least 1 items",
            #"spec.mode: Invalid value: "null": spec.mode in body must be of type string: "null""#,
        ])
    }

    @Test func junctorsExpressProtobufOneofs() throws {
        let match = try schema("""
            type: object
            properties:
              exact: {type: string}
              prefix: {type: string}
              route: {type: array, items: {type: string}}
              redirect: {type: string}
            not:
              anyOf:
              - required: [exact, prefix]
            oneOf:
            - required: [route]
            - required: [redirect]
            """)
        #expect(match.accepts(try value("{exact: /a, route: []}")))
        let both = match.validate(try value("{exact: /a, prefix: /b, redirect: x}")).map(\.description)
        #expect(both == [#"<root>: Invalid value: {"exact":"/a","prefix":"/b","redirect":"x"}: in body must not validate the schema (not)"#])
        let neither = match.validate(try value("{exact: /a}")).map(\.detail)
        #expect(neither == ["in body must validate one and only one schema (oneOf): found none valid"])
        let twice = match.validate(try value("{route: [], redirect: x}")).map(\.detail)
        #expect(twice == ["in body must validate one and only one schema (oneOf): found 2 valid alternatives"])

        let code = try schema("{type: integer, anyOf: [{maximum: 0}, {minimum: 300, maximum: 399}]}")
        #expect(code.accepts(0) && code.accepts(301))
        #expect(code.validate(200).map(\.detail) == ["in body must validate at least one schema (anyOf)"])
        let both2 = try schema("{type: integer, allOf: [{minimum: 1}, {maximum: 3}]}")
        #expect(both2.accepts(2))
        #expect(both2.validate(9).count == 1)
    }

    @Test func listTypesRejectDuplicates() throws {
        let lists = try schema("""
            type: object
            properties:
              subsets:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items: {type: object, required: [name], properties: {name: {type: string}}}
              tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
            """)
        let violations = lists.validate(try value("{subsets: [{name: v1}, {name: v2}, {name: v1}], tags: [a, a]}"))
        #expect(Set(violations.map(\.description)) == [
            #"subsets[2]: Duplicate value: {"name":"v1"}"#,
            #"tags[1]: Duplicate value: "a""#,
        ])
    }

    @Test func embeddedResourcesNeedApiVersionAndKind() throws {
        let template = try schema("""
            type: object
            properties:
              template: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
            """)
        #expect(template.accepts(try value("{template: {apiVersion: v1, kind: Pod, spec: {}}}")))
        #expect(Set(template.validate(try value("{template: {spec: {}}}")).map(\.description)) == [
            "template.apiVersion: Required value: must not be empty",
            "template.kind: Required value: must not be empty",
        ])
    }
}

@Suite struct SchemaDecodingTests {
    @Test func decodesEveryKeywordAndRoundTrips() throws {
        let text = """
            type: object
            description: d
            required: [a]
            minProperties: 1
            maxProperties: 9
            properties:
              a: {type: string, format: byte, pattern: '^x', minLength: 1, maxLength: 3, enum: [x, xy], default: x}
              b: {type: number, minimum: 0.5, maximum: 2, exclusiveMinimum: true, exclusiveMaximum: true, multipleOf: 0.5}
              c: {type: array, items: {type: integer}, minItems: 1, maxItems: 2, x-kubernetes-list-type: set}
              d: {type: object, additionalProperties: false, x-kubernetes-map-type: atomic}
              e: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
              f: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
              g: {type: boolean, nullable: true}
            oneOf: [{required: [a]}]
            allOf: [{required: [a]}]
            not: {required: [g]}
            x-kubernetes-validations:
            - {rule: 'self.a != "y"', message: not y, reason: FieldValueInvalid, fieldPath: .a}
            """
        let json = try value(text)
        let decoded = try StructuralSchema(json)
        #expect(decoded.properties["a"]?.defaultValue == "x")
        #expect(decoded.properties["b"]?.exclusiveMinimum == true)
        #expect(decoded.properties["c"]?.listType == "set")
        #expect(decoded.properties["e"]?.intOrString == true)
        #expect(decoded.validations.first?.rule == #"self.a != "y""#)
        #expect(decoded.validations.first?.fieldPath == ".a")
        guard case .allowed(false)? = decoded.properties["d"]?.additionalProperties else {
            Issue.record("additionalProperties: false lost")
            return
        }
        #expect(decoded.jsonValue == json)
        // Codable goes through the same JSON form.
        let data = try JSONEncoder().encode(decoded)
        let again = try JSONDecoder().decode(StructuralSchema.self, from: data)
        #expect(again.jsonValue == json)
    }

    @Test func unknownKeywordsAndWrongShapesAreRejected() throws {
        #expect(throws: StructuralSchemaError(path: "openAPIV3Schema.properties.a.$ref", message: "unknown schema keyword")) {
            try StructuralSchema(try value("{type: object, properties: {a: {$ref: '#/x'}}}"))
        }
        #expect(throws: StructuralSchemaError(path: "openAPIV3Schema.minLength", message: "must be a non-negative integer")) {
            try StructuralSchema(try value("{type: string, minLength: -1}"))
        }
        #expect(throws: StructuralSchemaError(path: "openAPIV3Schema", message: "a schema must be an object")) {
            try StructuralSchema("string")
        }
    }

    @Test func structuralProblemsAreFound() throws {
        let good = try schema("""
            type: object
            properties:
              metadata: {type: object, properties: {name: {type: string, maxLength: 10}}}
              spec: {type: object, properties: {a: {type: string}}, not: {required: [a]}}
              port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
              status: {type: object, x-kubernetes-preserve-unknown-fields: true}
            """)
        #expect(good.structuralProblems().isEmpty)
        let bad = try schema("""
            type: object
            properties:
              metadata: {type: object, properties: {labels: {type: object}}}
              spec:
                properties: {a: {type: string}}
                oneOf: [{type: object, properties: {b: {type: string}}}]
              list: {type: array}
            """)
        #expect(Set(bad.structuralProblems()) == [
            "openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
            "openAPIV3Schema.properties[spec].oneOf[0].type: Forbidden: must be empty to be structural",
            "openAPIV3Schema.properties[spec].oneOf[0].properties[b]: Required value: must have a corresponding property outside the junctor",
            "openAPIV3Schema.properties[list].items: Required value: must be specified for arrays",
            "openAPIV3Schema.properties.metadata: may only restrict name and generateName",
        ])
    }

    @Test func propertyPathsMarkListsAndMaps() throws {
        let root = try schema("""
            type: object
            properties:
              apiVersion: {type: string}
              metadata: {type: object}
              spec:
                type: object
                properties:
                  hosts: {type: array, items: {type: string}}
                  http:
                    type: array
                    items:
                      type: object
                      properties:
                        route: {type: array, items: {type: object, properties: {destination: {type: object, properties: {host: {type: string}}}}}}
                        headers: {type: object, additionalProperties: {type: object, properties: {exact: {type: string}}}}
            """)
        #expect(root.propertyPaths() == [
            "spec", "spec.hosts", "spec.http", "spec.http[].headers", "spec.http[].headers{}.exact",
            "spec.http[].route", "spec.http[].route[].destination", "spec.http[].route[].destination.host",
        ])
    }
}

@Suite struct SchemaPruningAndDefaultingTests {
    private let pruningSchemaYAML = """
        type: object
        properties:
          spec:
            type: object
            properties:
              http:
                type: array
                items: {type: object, properties: {name: {type: string}}}
              selector: {type: object, additionalProperties: {type: string}}
              config: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {known: {type: object, properties: {a: {type: string}}}}}
              template: {type: object, x-kubernetes-embedded-resource: true, properties: {spec: {type: object, properties: {x: {type: string}}}}}
              weight: {type: integer}
        """

    @Test func unknownFieldsAreDroppedAndReported() throws {
        let root = try schema(pruningSchemaYAML)
        let object = try value("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: a, anything: kept}
            spec:
              http: [{name: a, bogus: 1}, {name: b}]
              selector: {app: x, tier: y}
              config: {free: form, known: {a: b, c: d}}
              template: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {x: y, z: w}, extra: 1}
              weight: ninety
              typo: true
            extra: 1
            """)
        let (pruned, removed) = root.prune(object)
        #expect(removed == [
            "extra", "spec.config.known.c", "spec.http[0].bogus", "spec.template.extra", "spec.template.spec.z", "spec.typo",
        ])
        let expected = try value("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: a, anything: kept}
            spec:
              http: [{name: a}, {name: b}]
              selector: {app: x, tier: y}
              config: {free: form, known: {a: b}}
              template: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {x: y}}
              weight: ninety
            """)
        #expect(pruned == expected)
        // Pruning is idempotent.
        #expect(root.prune(pruned).removedPaths.isEmpty)
    }

    @Test func defaultsFillAbsentFieldsTopDown() throws {
        let root = try schema("""
            type: object
            properties:
              spec:
                type: object
                default: {}
                properties:
                  mode: {type: string, default: SIMPLE}
                  retries: {type: object, default: {attempts: 2}, properties: {attempts: {type: integer}, perTryTimeout: {type: string, default: 1s}}}
                  routes: {type: array, items: {type: object, properties: {weight: {type: integer, default: 100}}}}
                  labels: {type: object, additionalProperties: {type: object, properties: {v: {type: string, default: x}}}}
                  keep: {type: string, nullable: true, default: d}
                  drop: {type: string}
            """)
        let defaulted = root.applyDefaults(try value("""
            spec:
              mode: MUTUAL
              routes: [{}, {weight: 5}]
              labels: {a: {}}
              keep: null
              drop: null
            """))
        #expect(defaulted == (try value("""
            spec:
              mode: MUTUAL
              retries: {attempts: 2, perTryTimeout: 1s}
              routes: [{weight: 100}, {weight: 5}]
              labels: {a: {v: x}}
              keep: null
            """)))
        #expect(root.applyDefaults(try value("{}")) == (try value("spec: {mode: SIMPLE, retries: {attempts: 2, perTryTimeout: 1s}, keep: d}")))
        let nullReplaced = root.applyDefaults(try value("spec: {mode: null}"))
        #expect(nullReplaced[path: ["spec", "mode"]] == "SIMPLE")
    }
}

@Suite struct SchemaAdmissionTests {
    @Test func prunesDefaultsThenValidates() throws {
        let root = try schema("""
            type: object
            properties:
              spec:
                type: object
                required: [host]
                properties:
                  host: {type: string, minLength: 1}
                  mode: {type: string, enum: [SIMPLE, MUTUAL], default: SIMPLE}
            """)
        let admitted = root.admit(try value("{metadata: {name: a}, spec: {host: h, typo: 1}}"))
        #expect(admitted.isAccepted)
        #expect(admitted.unknownFields == ["spec.typo"])
        #expect(admitted.object == (try value("{metadata: {name: a}, spec: {host: h, mode: SIMPLE}}")))

        let refused = root.admit(try value("{spec: {mode: STRICT}}"))
        #expect(!refused.isAccepted)
        #expect(Set(refused.violations.map(\.field)) == ["spec.host", "spec.mode"])
    }
}
