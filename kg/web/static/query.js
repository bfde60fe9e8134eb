// The query editor: CodeMirror 5 over the text area (SPARQL highlighting, bracket matching),
// Ctrl/Cmd+Enter to run, and buttons that add a PREFIX line. Without JavaScript the page works
// as a plain form.
(function () {
  "use strict";
  var area = document.getElementById("query");
  var form = document.getElementById("query-form");
  if (!area || !form) { return; }
  var editor = null;
  if (window.CodeMirror) {
    editor = window.CodeMirror.fromTextArea(area, {
      mode: "sparql", lineNumbers: true, matchBrackets: true, indentUnit: 2,
      viewportMargin: Infinity,
      extraKeys: {
        "Ctrl-Enter": function () { submit(); },
        "Cmd-Enter": function () { submit(); }
      }
    });
    editor.getWrapperElement().setAttribute("aria-label", "SPARQL query");
    window.kgEditor = editor;
  } else {
    area.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit(); }
    });
  }
  function text() { return editor ? editor.getValue() : area.value; }
  function setText(value) { if (editor) { editor.setValue(value); } else { area.value = value; } }
  function submit() {
    if (editor) { editor.save(); }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }
  var buttons = document.querySelectorAll("button.add-prefix");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var prefix = button.getAttribute("data-prefix");
      var line = "PREFIX " + prefix + ": <" + button.getAttribute("data-namespace") + ">";
      var current = text();
      var declared = new RegExp("^\\s*PREFIX\\s+" + prefix + ":", "im");
      if (!declared.test(current)) { setText(line + "\n" + current); }
      if (editor) { editor.focus(); }
    });
  });
})();
