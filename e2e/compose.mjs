#!/usr/bin/env node
// Composes a supergraph from running subgraphs with Apollo's own composition
// library: each subgraph's SDL is read from its _service field (anonymously,
// as a gateway does), then composed; the supergraph SDL goes to stdout, the
// composition errors to stderr (exit 1).
//
//   node e2e/compose.mjs maillage=http://127.0.0.1:8080/graphql hours=http://127.0.0.1:4001/ > supergraph.graphql
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import { fileURLToPath } from 'node:url';

/** Reads a subgraph's SDL from its _service field. */
export async function fetchSDL(url) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = await res.json();
  if (!res.ok || body.errors) throw new Error(`${url}: ${res.status} ${JSON.stringify(body.errors)}`);
  return body.data._service.sdl;
}

/** Composes subgraphs ({ name, url, sdl? }); returns { supergraphSdl, errors }. */
export async function compose(subgraphs) {
  const services = [];
  for (const { name, url, sdl } of subgraphs) {
    services.push({ name, url, typeDefs: parse(sdl ?? await fetchSDL(url)) });
  }
  const result = composeServices(services);
  return { supergraphSdl: result.supergraphSdl, errors: (result.errors ?? []).map(String) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.some((a) => !a.includes('='))) {
    console.error('usage: node compose.mjs name=url [name=url ...] > supergraph.graphql');
    process.exit(2);
  }
  const { supergraphSdl, errors } = await compose(args.map((a) => {
    const i = a.indexOf('=');
    return { name: a.slice(0, i), url: a.slice(i + 1) };
  }));
  if (errors.length) {
    console.error(errors.join('\n'));
    process.exit(1);
  }
  process.stdout.write(supergraphSdl);
}
