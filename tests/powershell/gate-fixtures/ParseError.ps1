# A parse error: the string below never ends.
function Get-Thing {
    <#
    .SYNOPSIS
        A fixture for the gate.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    return $Name
}
$broken = 'no end
