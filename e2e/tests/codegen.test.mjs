// Tools that read the schema by introspection from the URL: graphql-js 16
// rebuilds it and prints it back (buildClientSchema, printSchema, parse), and
// GraphQL Code Generator, with its default URL loader, generates TypeScript
// types for the schema and an operation (typescript, typescript-operations).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildClientSchema, getIntrospectionQuery, parse, printSchema, buildSchema, DirectiveLocation } from 'graphql';
import { generate } from '@graphql-codegen/cli';
import { startHub, gql } from '../hub.mjs';

let hub, dir;
before(async () => {
  hub = await startHub();
  dir = mkdtempSync(path.join(tmpdir(), 'maillage-codegen-'));
});
after(async () => {
  await hub?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('graphql-js rebuilds the introspected schema and parses it back', async () => {
  const { body } = await gql(hub, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  const schema = buildClientSchema(body.data);
  // Every directive location is one graphql-js knows (tools that print the
  // directives, as codegen does, would otherwise print SDL that no parser reads).
  for (const d of schema.getDirectives()) {
    for (const l of d.locations) assert.ok(Object.values(DirectiveLocation).includes(l), `@${d.name} on ${l}`);
  }
  const sdl = printSchema(schema);
  const again = buildSchema(sdl); // parses and validates
  assert.ok(again.getType('Structure'));
  assert.ok(parse(sdl).definitions.length > 50);
});

test('GraphQL Code Generator generates types from the URL', async () => {
  const document = path.join(dir, 'structures.graphql');
  writeFileSync(document, `query Structures($first: Int) {
    structures(first: $first) { totalCount edges { node { id name kind territory { name } } } }
  }`);
  const [output] = await generate({
    schema: hub.graphqlURL,
    documents: document,
    generates: { [path.join(dir, 'types.ts')]: { plugins: ['typescript', 'typescript-operations'] } },
    silent: true,
  }, false);
  assert.match(output.content, /export type Structure = Node & \{/);
  assert.match(output.content, /export type StructuresQuery = \{/);
  assert.match(output.content, /export type StructuresQueryVariables = /);
});
