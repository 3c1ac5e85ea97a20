// The MathJax of the toolkit's pages, which show no LaTeX: the MathJax 2 interface JupyterLab's typesetter calls,
// typesetting nothing (toolkit.voila_app.NO_MATH_JS). Loaded instead of MathJax itself, 200 kB the phones save.
window.MathJax = {
  Hub: {
    Config: function () {},
    Configured: function () {},
    Queue: function () {},
    Register: { StartupHook: function () {} },
  },
  Ajax: {},
  InputJax: { TeX: { resetEquationNumbers: function () {} } },
};
