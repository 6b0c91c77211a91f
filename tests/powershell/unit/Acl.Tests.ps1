# Unit tests: rights read from SDDL and set with icacls (Private/Acl.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Invoke-Icacls' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Invoke-Icacls fails loudly when icacls does' {
        InModuleScope WslPortProxy {
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 5; Output = @('Access is denied.') } }
            { Invoke-Icacls -ArgumentList @('x', '/reset') } | Should -Throw -ErrorId 'WslPortProxy.IcaclsFailed' -ExpectedMessage 'icacls.exe x /reset failed (exit 5): Access is denied.'
        }
    }
}

Describe 'Get-UnsafeReason' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given <Case>, says "<Expected>"' -ForEach @(
        @{ Case = 'no such path'; Sddl = $null; Expected = '' }
        @{ Case = 'a folder owned by Administrators, writable by Administrators and SYSTEM only'; Sddl = 'O:BAG:SYD:(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;S-1-5-21-1-2-3-1001)'; Expected = '' }
        @{ Case = 'a folder owned by SYSTEM'; Sddl = 'O:SYG:SYD:(A;OICI;FA;;;SY)'; Expected = '' }
        @{ Case = 'a folder owned by a user'; Sddl = 'O:S-1-5-21-1-2-3-1005G:SYD:(A;OICI;FA;;;S-1-5-21-1-2-3-1005)'; Expected = 'it is owned by S-1-5-21-1-2-3-1005, not by Administrators or SYSTEM' }
        @{ Case = 'Users allowed to create folders (hex rights)'; Sddl = 'O:BAG:SYD:(A;OICI;FA;;;BA)(A;CIID;0x100004;;;BU)'; Expected = 'it lets BU write (0x100004)' }
        @{ Case = 'Everyone with generic write (letters)'; Sddl = 'O:BAG:SYD:(A;;GRGW;;;WD)'; Expected = 'it lets WD write (GRGW)' }
        @{ Case = 'a user with read and execute only'; Sddl = 'O:BAG:SYD:(A;OICI;FRFX;;;S-1-5-21-1-2-3-1005)'; Expected = '' }
    ) {
        $path = Join-Path $global:WslppSim.ProgramData 'Folder'
        if ($null -ne $Sddl) {
            New-Item -ItemType Directory -Path $path | Out-Null
            $owner = $Sddl.Substring(2, $Sddl.IndexOf('G:') - 2)
            Write-SimState 'acl.json' @{ $path = @{ owner = $owner; dacl = $Sddl.Substring($Sddl.IndexOf('D:') + 2) } }
        }
        InModuleScope WslPortProxy -Parameters @{ Path = $path; Expected = $Expected } {
            param($Path, $Expected)
            Get-UnsafeReason -Path $Path -Access | Should -BeExactly $Expected
        }
    }

    It 'without -Access, an ACL others may write is not looked at (the installer locks it next)' {
        $path = Join-Path $global:WslppSim.ProgramData 'Folder'
        New-Item -ItemType Directory -Path $path | Out-Null
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            Get-UnsafeReason -Path $Path | Should -BeExactly ''
            Get-UnsafeReason -Path $Path -Access | Should -BeExactly 'it lets BU write (0x100116)'   # the inherited ProgramData default
        }
    }

    It 'names a symbolic link and its target, and never asks for the link''s ACL' {
        $target = Join-Path $global:WslppSim.Root 'elsewhere'
        New-Item -ItemType Directory -Path $target | Out-Null
        $link = Join-Path $global:WslppSim.ProgramData 'Link'
        New-Item -ItemType SymbolicLink -Path $link -Target $target | Out-Null
        InModuleScope WslPortProxy -Parameters @{ Path = $link; Target = $target } {
            param($Path, $Target)
            Mock Get-Acl { }
            Get-UnsafeReason -Path $Path | Should -BeExactly "it is a SymbolicLink (to $Target)"
            Should -Invoke Get-Acl -Times 0 -Exactly
        }
    }
}

Describe 'ConvertTo-AccessMask and Test-WriteRight' {
    It 'Given <Rights>, the mask is <Mask> and writing is <Write>' -ForEach @(
        @{ Rights = '0x1301bf'; Mask = 0x1301bf; Write = $true }
        @{ Rights = 'FA'; Mask = 0x1F01FF; Write = $true }
        @{ Rights = 'SDGXGWGR'; Mask = 0x1301BF; Write = $true }   # Modify
        @{ Rights = 'LC'; Mask = 0x4; Write = $true }      # add subfolder: the old letter list missed it
        @{ Rights = 'DT'; Mask = 0x40; Write = $true }     # delete child
        @{ Rights = 'CC'; Mask = 0x1; Write = $false }     # list folder: reading
        @{ Rights = 'FRFX'; Mask = 0x1200A9; Write = $false }
        @{ Rights = 'ZZ'; Mask = 0x1F01FF; Write = $true } # unknown letters count as every right
    ) {
        InModuleScope WslPortProxy -Parameters @{ Rights = $Rights; Mask = $Mask; Write = $Write } {
            param($Rights, $Mask, $Write)
            ConvertTo-AccessMask -Rights $Rights | Should -Be $Mask
            Test-WriteRight -Rights $Rights | Should -Be $Write
        }
    }
}
