// The package's library entry: the gateway and its parts, usable outside n8n too.
// n8n itself loads the nodes and credentials listed in package.json's "n8n" field.
module.exports = require('./dist/lib/index.js');
