"""Named SPARQL queries shipped with linkgraph, one `NAME.rq` file each.

Each file starts with comment lines that `graph.query` reads:

    # title: one line shown in `linkgraph queries`
    # description: what the rows mean and why they matter
    # param: NAME TYPE description      (0..n; TYPE is iri, literal, concept or date)

A parameter is a variable of the query that the runner substitutes with an RDF term (pyoxigraph
`substitutions`), so it must appear in the SELECT projection; its value is never pasted into the
text. `TYPE?` makes it optional: left out, the variable stays unbound and the query supplies a
default with COALESCE (see not-reviewed-12-months.rq).

The prefixes schema, skos, rdf, rdfs, xsd, prov, owl, lg and lgc are predeclared; the files
still declare the ones they use so that they run unchanged in any SPARQL tool.
"""
