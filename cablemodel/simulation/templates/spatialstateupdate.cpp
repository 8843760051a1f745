{# USES_VARIABLES { Cm, dt, v, N, Ic, Ri,
                  _ab_star0, _ab_star1, _ab_star2, _b_plus, _b_minus,
                  _v_star, _u_plus, _u_minus,
                  _v_previous,
                  _gtot_all, _I0_all,
                  _c,
                  _P_diag, _P_parent, _P_children,
                  _B, _morph_parent_i, _starts, _ends,
                  _morph_children, _morph_children_num, _morph_idxchild,
                  _invr0, _invrn, _invr,
                  r_length_1, r_length_2, area } #}
{#
  cablemodel's replacement for Brian2's cpp_standalone "spatialstateupdate" template.
  Its interface necessarily follows Brian2's template (same variables, Jinja blocks, the axial
  resistance set-up, STEP 1 and the final Ic; Brian2 is CeCILL 2.1, (c) the Brian2 team); the
  solver below is cablemodel's own.

  The linear system is Brian2's (backward Euler in v, the membrane current linearised as
  _I0 - _gtot*v, STEP 1 and the final Ic unchanged); it is solved with the Hines algorithm on
  the tree whose nodes are the compartments and one zero-capacitance node per section end
  (Brian2's branch-point junctions).  Each compartment row is multiplied by the compartment's
  area, which makes the matrix symmetric:

      compartment:  (area*Cm/dt + area*_gtot + sum_k g_k) v - sum_k g_k v_k = area*(Cm/dt*v_old + _I0)
      junction:     (sum_k g_k) V - sum_k g_k v_k = 0

  (g_k: axial conductances to the neighbours).  Brian2's junction at the start of the root
  section has a single neighbour (a sealed end): eliminating it adds exactly zero, so it is left
  out and the root compartment has no parent.

  Elimination (leaves to root, children before parents = sections in reverse depth-first order,
  compartments from the end of a section to its start).  For a node i with conductance g to its
  parent, let e_i be its diagonal without g and r_i its right-hand side once its children are
  eliminated.  Eliminating i adds to its parent the series conductance g*e_i/(g + e_i) and
  g*r_i/(g + e_i): all terms are positive, so nothing cancels, even across the soma's (nearly
  infinite) axial conductance.  Back-substitution (root to leaves):

      v_i = r_i/(g + e_i) + g/(g + e_i) * v_parent          (stored: _v_star[i], _c[i])

  Along an unbranched section, e_i and r_i are carried as ratios P/Q and S/Q, so that the
  recurrence needs no division:  Q' = g*Q + P,  P' = m'*Q' + g*P,  S' = R'*Q' + g*S  (m', R':
  the next node's own diagonal and right-hand side).  The one division per node, 1/Q', only
  produces the back-substitution coefficients (g*Q/Q' and S/Q'), so it is off the sequential
  dependency chain; every 16 nodes P, S, Q are rescaled by 1/Q' (Q = 1) to stay in range.

  Storage (Brian2 allocates these arrays for its own solver; here they are reused):
    _ab_star0[j]  c*(conductance between compartment j and its parent node), 0 for the root
    _ab_star1[j]  c*area*Cm/dt            _ab_star2[j]  c*area          (constant in a run)
    _P_parent[s]  c*(conductance between the last compartment of section s and its end node)
    _v_star[j], _c[j]  back-substitution coefficients (per step)
    _P_diag[k], _B[k]  junction k (end of section k-1): e and r summed over its children, then
                  g/(g+e) and r/(g+e), and finally _B[k] = its potential
  c is a power of two (exact scaling) that brings the conductances near 1.
  _invr, _invr0 and _invrn keep Brian2's meaning.
#}
{% extends 'common_group.cpp' %}

{% block before_code %}
    const double _Ri = {{Ri}};  // Ri is a shared variable

    // Inverse axial resistance (Brian2's definitions)
    {{ openmp_pragma('parallel-static') }}
    for (int _i=1; _i<N; _i++)
        {{_invr}}[_i] = 1.0/(_Ri*(1/{{r_length_2}}[_i-1] + 1/{{r_length_1}}[_i]));
    // Cut sections
    {{ openmp_pragma('parallel-static') }}
    for (int _i=0; _i<(int)_num_starts; _i++)
        {{_invr}}[{{_starts}}[_i]] = 0;
    for (size_t _counter=0; _counter<_num_starts; _counter++)
    {
        const int _first = {{_starts}}[_counter];
        const int _last = {{_ends}}[_counter] - 1;  // the compartment indices are in the interval [starts, ends[
        {{_invr0}}[_counter] = {{r_length_1}}[_first]/_Ri;
        {{_invrn}}[_counter] = {{r_length_2}}[_last]/_Ri;
        // the elimination order needs parents before children (Brian2's depth-first numbering)
        if ({{_morph_parent_i}}[_counter] > (int)_counter)
        {
            std::cerr << "cablemodel Hines solver: section " << _counter
                      << " is numbered before its parent" << std::endl;
            std::exit(1);
        }
    }

    // Conductance between each compartment and its parent node (0 for the root compartment)
    for (int _i=0; _i<N; _i++)
        {{_ab_star0}}[_i] = {{_invr}}[_i];
    for (size_t _counter=0; _counter<_num_starts; _counter++)
        {{_ab_star0}}[{{_starts}}[_counter]] = _counter == 0 ? 0.0 : {{_invr0}}[_counter];

    // Exact scaling by a power of two: geometric mean of the axial conductances -> about 1
    double _log2_sum = 0.0;
    int _log2_n = 0;
    for (int _i=0; _i<N; _i++)
        if ({{_ab_star0}}[_i] > 0)
        {
            _log2_sum += std::log2({{_ab_star0}}[_i]);
            _log2_n++;
        }
    const double _scale = _log2_n > 0 ? std::exp2(-std::round(_log2_sum/_log2_n)) : 1.0;
    for (int _i=0; _i<N; _i++)
    {
        {{_ab_star0}}[_i] *= _scale;
        {{_ab_star1}}[_i] = _scale*{{area}}[_i]*{{Cm}}[_i]/{{dt}};
        {{_ab_star2}}[_i] = _scale*{{area}}[_i];
    }
    for (size_t _counter=0; _counter<_num_starts; _counter++)
        {{_P_parent}}[_counter] = _scale*{{_invrn}}[_counter];
{% endblock %}

{% block maincode %}

    int _vectorisation_idx = 1;

    //// MAIN CODE ////////////
    {{scalar_code|autoindent}}

    // STEP 1: compute g_total and I_0 (independent: compartments)
    {{ openmp_pragma('parallel-static') }}
    {% if not openmp_pragma('with_openmp') %}
    #pragma GCC ivdep  // (cablemodel) no dependence between iterations: lets gcc vectorise
    {% endif %}
    for(int i=0; i<N; i++)
    {
        const int _idx = i;
        _vectorisation_idx = _idx;

        {{vector_code|autoindent}}
        {{_gtot_all}}[_idx] = _gtot;
        {{_I0_all}}[_idx] = _I0;

        {{_v_previous}}[_idx] = {{v}}[_idx];
    }

    // STEP 2: Hines elimination, from the leaves to the root
    for (int _k=0; _k<(int)_num_B; _k++)
    {
        {{_P_diag}}[_k] = 0.0;
        {{_B}}[_k] = 0.0;
    }
    for (int _s=(int)_num_starts-1; _s>=0; _s--)
    {
        const int _first = {{_starts}}[_s];
        const int _last = {{_ends}}[_s] - 1;
        // the last compartment: its own terms, plus the junction at the end of the section
        const double _m = {{_ab_star1}}[_last] + {{_ab_star2}}[_last]*{{_gtot_all}}[_last];
        const double _R = {{_ab_star1}}[_last]*{{v}}[_last] + {{_ab_star2}}[_last]*{{_I0_all}}[_last];
        double _P, _Q, _S;  // e = P/Q, r = S/Q of the current node
        if ({{_morph_children_num}}[_s+1] > 0)
        {
            const double _g = {{_P_parent}}[_s];
            const double _e = {{_P_diag}}[_s+1];
            const double _r = {{_B}}[_s+1];
            _Q = _g + _e;
            const double _inv = 1.0/_Q;
            {{_P_diag}}[_s+1] = _g*_inv;
            {{_B}}[_s+1] = _r*_inv;
            _P = _m*_Q + _g*_e;
            _S = _R*_Q + _g*_r;
        }
        else  // a terminal section: nothing beyond its end
        {
            _P = _m;
            _Q = 1.0;
            _S = _R;
        }
        // along the section, towards its first compartment
        int _steps = 0;
        for (int _j=_last; _j>_first; _j--)
        {
            const double _g = {{_ab_star0}}[_j];
            const double _Qn = _g*_Q + _P;
            const double _inv = 1.0/_Qn;
            {{_c}}[_j] = _g*_Q*_inv;
            {{_v_star}}[_j] = _S*_inv;
            const double _mp = {{_ab_star1}}[_j-1] + {{_ab_star2}}[_j-1]*{{_gtot_all}}[_j-1];
            const double _Rp = {{_ab_star1}}[_j-1]*{{v}}[_j-1] + {{_ab_star2}}[_j-1]*{{_I0_all}}[_j-1];
            _P = _mp*_Qn + _g*_P;
            _S = _Rp*_Qn + _g*_S;
            _Q = _Qn;
            if (++_steps == 16)  // rescale (Q = 1)
            {
                _P *= _inv;
                _S *= _inv;
                _Q = 1.0;
                _steps = 0;
            }
        }
        if (_s > 0)  // the first compartment, into the junction at the end of the parent section
        {
            const double _g = {{_ab_star0}}[_first];
            const double _inv = 1.0/(_g*_Q + _P);
            {{_c}}[_first] = _g*_Q*_inv;
            {{_v_star}}[_first] = _S*_inv;
            const int _p = {{_morph_parent_i}}[_s];
            {{_P_diag}}[_p] += _g*_P*_inv;
            {{_B}}[_p] += _g*_S*_inv;
        }
        else  // the root
        {
            {{_c}}[_first] = 0.0;
            {{_v_star}}[_first] = _S/_P;
        }
    }

    // STEP 3: back-substitution, from the root to the leaves
    for (int _s=0; _s<(int)_num_starts; _s++)
    {
        const int _first = {{_starts}}[_s];
        const int _last = {{_ends}}[_s] - 1;
        double _vp = _s > 0 ? {{_B}}[{{_morph_parent_i}}[_s]] : 0.0;
        for (int _j=_first; _j<=_last; _j++)
        {
            _vp = {{_v_star}}[_j] + {{_c}}[_j]*_vp;
            {{v}}[_j] = _vp;
        }
        if ({{_morph_children_num}}[_s+1] > 0)
            {{_B}}[_s+1] += {{_P_diag}}[_s+1]*_vp;
    }

    {{ openmp_pragma('parallel-static') }}
    for (int _i=0; _i<N; _i++)
    {
        {{Ic}}[_i] = {{Cm}}[_i]*({{v}}[_i] - {{_v_previous}}[_i])/{{dt}};
    }

{% endblock %}
