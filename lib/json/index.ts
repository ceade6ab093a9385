export { canonicalJson } from './canonical';
