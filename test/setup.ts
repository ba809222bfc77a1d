// type-graphql needs the Reflect metadata API loaded before any decorated class is evaluated.
import 'reflect-metadata';
