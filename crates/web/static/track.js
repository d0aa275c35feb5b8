// Opens a case from its tracking link, /track#NUMBER.CODE: the code stays in
// the link's fragment, which browsers never send to a server or a log, and
// the reporter does not have to type it.
(function () {
  var form = document.getElementById('track-form');
  var link = decodeURIComponent(location.hash.slice(1));
  var dot = link.indexOf('.');
  if (!form || dot < 1) return;
  form.elements.number.value = link.slice(0, dot);
  form.elements.code.value = link.slice(dot + 1);
  history.replaceState(null, '', location.pathname);
  form.submit();
})();
